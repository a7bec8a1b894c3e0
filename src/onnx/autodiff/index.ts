// Reverse-mode autodiff over moe's ONNX graphs: training graphs from forward graphs, standard ops only.
export { buildTrainingGraph, gradName } from './build.js';
export type { TrainingGraphOptions } from './build.js';
export type { AutodiffError } from './errors.js';
export { GradRuleError } from './errors.js';
export { GradRegistry } from './registry.js';
export type { GradContext, GradRule, InputGrads } from './rule.js';
export { Emitter } from './emitter.js';
export { BUILTIN_GRAD_RULES, defaultGradRegistry } from './rules/index.js';
export { pruneGraph } from './prune.js';
export { withMseLoss } from './losses.js';
export type { MseLossOptions } from './losses.js';
