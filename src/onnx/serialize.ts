/**
 * IR → ONNX protobuf bytes (ModelProto, onnx.proto field numbers). Tensor bytes go inline as raw_data
 * unless `placement` puts them in an external-data file (see save.ts).
 */
import type { Attribute, Graph, Model, Node, Shape, Tensor, ValueInfo } from './ir.js';
import { UNKNOWN_DIM } from './ir.js';
import { arrayBytes, dataTypeSize, numel, onnxDataType } from './dtype.js';
import { ProtoWriter } from './protobuf.js';

/** Where one tensor's bytes live in an external-data file, relative to the model's directory. */
export interface ExternalPlacement {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

export interface EncodeOptions {
  /** Returns a placement for tensors stored outside the model file, undefined to keep them inline. */
  readonly placement?: (tensor: Tensor) => ExternalPlacement | undefined;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;
const ATTR_STRINGS = 8;

/** The bytes of a tensor held in memory or produced on demand. */
export function tensorBytes(t: Tensor): Uint8Array {
  const expected = numel(t.dims) * dataTypeSize(t.dtype);
  let bytes: Uint8Array;
  switch (t.data.kind) {
    case 'inline':
      bytes = arrayBytes(t.data.array);
      break;
    case 'lazy':
      bytes = t.data.read();
      break;
    case 'external':
      throw new Error(
        `tensor ${t.name} lives in external data (${t.data.location}); its bytes are not in memory`,
      );
  }
  if (bytes.length !== expected) {
    throw new Error(
      `tensor ${t.name}: ${bytes.length} bytes for ${t.dtype}[${t.dims.join(',')}], expected ${expected}`,
    );
  }
  return bytes;
}

function encodeTensor(t: Tensor, options: EncodeOptions): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, onnxDataType(t.dtype));
  w.string(8, t.name);
  const place = t.data.kind === 'external' ? t.data : options.placement?.(t);
  if (place === undefined) {
    w.bytes(9, tensorBytes(t));
    return w;
  }
  const entries: [string, string][] = [
    ['location', place.location],
    ['offset', String(place.offset)],
    ['length', String(place.length)],
  ];
  for (const [key, value] of entries) w.message(13, new ProtoWriter().string(1, key).string(2, value));
  w.int(14, 1); // data_location = EXTERNAL
  return w;
}

function encodeAttribute(name: string, a: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (a.type) {
    case 'float':
      return w.float(2, a.value).int(20, ATTR_FLOAT);
    case 'int':
      return w.int(3, a.value).int(20, ATTR_INT);
    case 'string':
      return w.string(4, a.value).int(20, ATTR_STRING);
    case 'tensor':
      return w.message(5, encodeTensor(a.value, {})).int(20, ATTR_TENSOR);
    case 'floats':
      for (const v of a.value) w.float(7, v);
      return w.int(20, ATTR_FLOATS);
    case 'ints':
      for (const v of a.value) w.int(8, v);
      return w.int(20, ATTR_INTS);
    case 'strings':
      for (const v of a.value) w.string(9, v);
      return w.int(20, ATTR_STRINGS);
  }
}

function encodeNode(n: Node): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.op);
  for (const key of Object.keys(n.attributes).sort()) {
    const a = n.attributes[key];
    if (a !== undefined) w.message(5, encodeAttribute(key, a));
  }
  if (n.domain !== undefined && n.domain !== '') w.string(7, n.domain);
  return w;
}

function encodeShape(shape: Shape): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else if (d !== UNKNOWN_DIM) dim.string(2, d);
    w.message(1, dim);
  }
  return w;
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const tensorType = new ProtoWriter().int(1, onnxDataType(v.dtype));
  if (v.shape !== undefined) tensorType.message(2, encodeShape(v.shape));
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

function encodeGraph(g: Graph, options: EncodeOptions): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t, options));
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  for (const v of g.valueInfo) w.message(13, encodeValueInfo(v));
  return w;
}

/** Encodes a whole model as ONNX ModelProto bytes. */
export function encodeModel(model: Model, options: EncodeOptions = {}): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName).string(3, model.producerVersion);
  w.message(7, encodeGraph(model.graph, options));
  w.message(8, new ProtoWriter().string(1, '').int(2, model.opset));
  for (const [domain, version] of Object.entries(model.extraOpsets ?? {})) {
    w.message(8, new ProtoWriter().string(1, domain).int(2, version));
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return w.finish();
}
