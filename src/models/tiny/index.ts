// moe's generated tiny SDXL family: an Optimum-layout model folder small enough for laptops and CI.
export { generateTinyFamily } from './generate.js';
export type { TinyFamily, TinyFamilyError, TinyFamilyOptions } from './generate.js';
export {
  TINY_UNET_CONFIG,
  SDXL_SCHEDULER_CONFIG,
  SDXL_MODEL_INDEX,
  TINY_VOCABULARY_WORDS,
  TINY_VAE,
  TINY_UNET_MAX_CHANNELS,
  tinyUnetChannelsProblem,
  tinyUnetConfig,
} from './configs.js';
export { unetParamSpecs, initUnetParams } from './unet-params.js';
