// `loadPipeline`: a pipeline file → a validated `Pipeline`, or every problem found, in file order.
import { resolve } from 'node:path';
import { buildPipeline } from './build.js';
import { buildStreamed } from './build-stream.js';
import { forgetExpressionTypes } from './checks.js';
import type { Diagnostic, DiagnosticsFailure } from './diagnostic.js';
import { sortDiagnostics } from './format.js';
import type { StepLookup } from '../contract/lookup.js';
import type { PipelineRule } from './rule-api.js';
import { forgetJson } from './node.js';
import { SourceFile } from './source.js';
import type { Pipeline } from './types.js';
import { DEFAULT_MAX_BYTES, readPipelineText, tooLarge } from './read-text.js';
import { parseYaml } from './yaml.js';
import type { YamlLimits } from './yaml.js';
import { err, ok } from '../util/result.js';
import type { Result } from '../util/result.js';

export interface LoadOptions extends YamlLimits {
  /** Raw `--param name=value` overrides, coerced to each declared parameter's type. */
  readonly params?: Readonly<Record<string, string>>;
  readonly steps: StepLookup;
  /** Cross-node checks run after the built-in ones. */
  readonly rules?: readonly PipelineRule[];
  /** Files larger than this are refused before they are read. @default 10 MiB */
  readonly maxBytes?: number;
}

export interface LoadedPipeline {
  readonly pipeline: Pipeline;
  readonly warnings: Diagnostic[];
  /** The file's text, for printing diagnostics with their source lines. */
  readonly source: string;
}

export { DEFAULT_MAX_BYTES };

export async function loadPipeline(
  file: string,
  options: LoadOptions,
): Promise<Result<LoadedPipeline, DiagnosticsFailure>> {
  const path = resolve(file);
  const text = await readPipelineText(path, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (typeof text !== 'string') return fail([text.diagnostic]);
  return loadPipelineText(path, text, options);
}

/** Like `loadPipeline`, for text already in memory (`file` names it in diagnostics). */
export function loadPipelineText(
  file: string,
  text: string,
  options: LoadOptions,
): Result<LoadedPipeline, DiagnosticsFailure> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // Checked before indexing lines, so an oversized text costs no more than this measurement.
  if (text.length > maxBytes || Buffer.byteLength(text) > maxBytes) {
    const range = new SourceFile(resolve(file), '').whole();
    const message = tooLarge(Buffer.byteLength(text), maxBytes);
    return fail([{ severity: 'error', code: 'too-large', message, range }]);
  }
  const source = new SourceFile(resolve(file), text);
  const build = { params: options.params ?? {}, steps: options.steps, rules: options.rules ?? [] };
  // A file without problems is built node by node, its tree never whole; any other is built from its tree.
  const streamed = buildStreamed(source, build, options);
  if (streamed !== undefined) {
    forgetLoad(source);
    return ok({ pipeline: streamed, warnings: [], source: text });
  }
  const parsed = parseYaml(source, options);
  if (parsed.root === undefined) return fail(sortDiagnostics(parsed.diagnostics));
  const built = buildPipeline(source, parsed.root, build);
  forgetLoad(source);
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...built.diagnostics]);
  if (built.pipeline === undefined || diagnostics.some((d) => d.severity === 'error'))
    return fail(diagnostics);
  return ok({ pipeline: built.pipeline, warnings: diagnostics, source: text });
}

/** Drops the tables the loader keeps while it reads a file. */
function forgetLoad(source: SourceFile): void {
  source.forgetNames();
  forgetJson();
  forgetExpressionTypes();
}

function fail(diagnostics: readonly Diagnostic[]): Result<never, DiagnosticsFailure> {
  return err({ reason: 'invalid', diagnostics });
}
