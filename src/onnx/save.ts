/**
 * Writes a model to disk as `model.onnx`, with large tensors in an ONNX external-data file beside it
 * (`model.onnx_data`) when the model would not fit protobuf's 2 GB message limit, or when asked. Only
 * weights move out; constants (shapes, axes, frequency tables) stay in the model file.
 * Tensor bytes stream from their source one at a time, so converting a 10 GB checkpoint never holds more
 * than one tensor in memory.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { Model, Tensor } from './ir.js';
import { dataTypeSize, numel } from './dtype.js';
import { encodeModel, tensorBytes } from './serialize.js';
import type { ExternalPlacement } from './serialize.js';

export interface SaveOptions {
  /**
   * `auto` (the default) uses external data only when the initializers total more than `limitBytes`;
   * `always` and `never` force the choice.
   */
  readonly externalData?: 'auto' | 'always' | 'never';
  /** @default 1.9 GiB: below protobuf's 2 GiB hard limit, with room for the graph itself. */
  readonly limitBytes?: number;
  /** Weights smaller than this stay inline even when external data is used. @default 1024 */
  readonly minExternalBytes?: number;
}

export interface SavedModel {
  readonly modelPath: string;
  /** Absent when every tensor is inline. */
  readonly externalDataPath?: string;
  readonly modelBytes: number;
  readonly externalBytes: number;
}

/** Offsets in the external-data file are page aligned so onnxruntime can memory-map the tensors. */
const ALIGN = 4096;

function byteSize(t: Tensor): number {
  return numel(t.dims) * dataTypeSize(t.dtype);
}

export function saveModel(model: Model, modelPath: string, options: SaveOptions = {}): SavedModel {
  const mode = options.externalData ?? 'auto';
  const limit = options.limitBytes ?? 1.9 * 2 ** 30;
  const minExternal = options.minExternalBytes ?? 1024;
  const total = model.graph.initializers.reduce((s, t) => s + byteSize(t), 0);
  const external = mode === 'always' || (mode === 'auto' && total > limit);
  const tmpModel = `${modelPath}.tmp-${process.pid}`;
  if (!external) {
    const bytes = encodeModel(model);
    writeWhole(tmpModel, bytes);
    renameSync(tmpModel, modelPath);
    // An external-data file left by an earlier save of this model would only mislead.
    rmSync(`${modelPath}_data`, { force: true });
    return { modelPath, modelBytes: bytes.length, externalBytes: 0 };
  }
  const dataPath = `${modelPath}_data`;
  const location = basename(dataPath);
  const tmpData = `${dataPath}.tmp-${process.pid}`;
  const placements = new Map<string, ExternalPlacement>();
  const fd = openSync(tmpData, 'w');
  let offset = 0;
  try {
    for (const t of model.graph.initializers) {
      // Constants stay inline: onnxruntime's shape inference reads shape and axes tensors from the model.
      if (t.role !== 'weight' || t.data.kind === 'external' || byteSize(t) < minExternal) continue;
      const bytes = tensorBytes(t);
      const start = Math.ceil(offset / ALIGN) * ALIGN;
      if (start > offset) writeSync(fd, new Uint8Array(start - offset));
      writeAll(fd, bytes);
      placements.set(t.name, { location, offset: start, length: bytes.length });
      offset = start + bytes.length;
    }
  } catch (e) {
    closeSync(fd);
    rmSync(tmpData, { force: true });
    throw e;
  }
  closeSync(fd);
  const bytes = encodeModel(model, { placement: (t) => placements.get(t.name) });
  writeWhole(tmpModel, bytes);
  renameSync(tmpData, dataPath);
  renameSync(tmpModel, modelPath);
  return { modelPath, externalDataPath: dataPath, modelBytes: bytes.length, externalBytes: offset };
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

function writeWhole(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    writeAll(fd, bytes);
  } finally {
    closeSync(fd);
  }
}
