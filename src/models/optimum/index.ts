// Model folders in the layout of an Optimum SDXL/SSD-1B ONNX export (optionally with a diffusers UNet):
// describe, check against the tensor contract, encode prompts, run the VAE.
export { describeModelFolder, SDXL_VAE_SCALING_FACTOR } from './folder.js';
export type { DescribeOptions, ModelFolder, ModelFolderError, OnnxFile, DiffusersUnet } from './folder.js';
export { inspectModelFolder } from './inspect.js';
export { openModelFolder } from './open.js';
export type { OpenedModelFolder } from './open.js';
export type { ModelSignature, TextEncoderSignature, UnetSignature, VaeSignature } from './signature.js';
export { encodePrompts } from './prompt.js';
export type { PromptEmbeddings, EncodePromptOptions } from './prompt.js';
export { encodeImages, decodeLatents } from './vae.js';
export type { Nchw } from './vae.js';
export { cpuSessionFactory, sessionFactory, withSession, metadataOf } from './session.js';
export type { ModelSession, SessionFactory, TensorMetadata } from './session.js';
export type { ContractProblem } from './contract.js';
