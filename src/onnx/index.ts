// moe's ONNX toolkit: graph IR, builder, shape inference, serialisation, sessions.
export type {
  Attribute,
  DataType,
  Dim,
  Graph,
  Initializer,
  InitializerRole,
  Model,
  Node,
  Shape,
  Tensor,
  TensorArray,
  TensorStorage,
  ValueInfo,
} from './ir.js';
export { DEFAULT_IR_VERSION, DEFAULT_OPSET, UNKNOWN_DIM } from './ir.js';
export { attr } from './attributes.js';
export { Builder, SLICE_END } from './builder.js';
export type { ConvOptions } from './builder.js';
export { GraphBuilder, GraphBuildError } from './graph-builder.js';
export type { GraphBuilderOptions, Value, WeightData } from './graph-builder.js';
export { arrayBytes, dataTypeFromOnnx, dataTypeOfArray, dataTypeSize, numel, onnxDataType } from './dtype.js';
export {
  broadcastShapes,
  inferNode,
  inferShapes,
  registerShapeRule,
  reshapeTarget,
  valueInfoOf,
} from './shape-inference.js';
export type { ShapeRule, ValueFacts } from './shape-inference.js';
export { encodeModel, tensorBytes } from './serialize.js';
export type { EncodeOptions, ExternalPlacement } from './serialize.js';
export { saveModel } from './save.js';
export type { SavedModel, SaveOptions } from './save.js';
export { countFlops } from './flops.js';
export type { FlopCount } from './flops.js';
export { weightsAsInputs } from './weights-as-inputs.js';
export type { LiftedModel } from './weights-as-inputs.js';
export { cudaInstalled, openSession, withSession, ort } from './session.js';
export type { Device, Feeds, Fetches, OnnxSession, SessionError, SessionOptions } from './session.js';
