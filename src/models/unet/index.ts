// SDXL-family UNet2DConditionModel → ONNX.
export { parseUNetConfig } from './config.js';
export type {
  AttentionSpec,
  ConfigError,
  DownBlockSpec,
  MidBlockSpec,
  UNetSpec,
  UpBlockSpec,
} from './config.js';
export { buildUNet, defaultTimeIds, unetParameters, UNET_INPUTS, UNET_OUTPUT } from './build.js';
export type { BuildUNetOptions } from './build.js';
export { checkpointWeights, memoryWeights } from './weights.js';
export type { CheckpointWeights } from './weights.js';
export { convertDiffusersUNet, loadDiffusersUNet, readUNetConfig } from './load.js';
export type { ConvertedUNet, LoadedUNet, LoadUNetOptions, UNetError } from './load.js';
export { sinusoidFrequencies } from './embeddings.js';
