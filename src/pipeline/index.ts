// The pipeline module's public surface: load and validate pipeline files, resolve `with` blocks, print
// diagnostics. Other modules import from here.
export { loadPipeline, loadPipelineText, DEFAULT_MAX_BYTES } from './load.js';
export type { LoadOptions, LoadedPipeline } from './load.js';
export type { StepLookup } from '../contract/lookup.js';
export type { PipelineRule, RuleContext, WithValue } from './rule-api.js';
export { resolveWith } from './resolve.js';
export type { ResolveOptions } from './resolve.js';
export { formatDiagnostics, sortDiagnostics } from './format.js';
export type { FormatOptions } from './format.js';
export { resolveInside } from './paths.js';
export { shellQuote } from './shell.js';
export { parseParamFlags } from './params.js';
export { parseDuration, parseMemory } from './units.js';
export { didYouMean } from './suggest.js';
export { analyzeGraph } from './graph.js';
export type * from './types.js';
export type * from './diagnostic.js';
