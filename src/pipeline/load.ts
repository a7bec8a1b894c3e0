// `loadPipeline`: a pipeline file → a validated `Pipeline`, or every problem found, in file order.
import { open } from 'node:fs/promises';
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

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

export async function loadPipeline(
  file: string,
  options: LoadOptions,
): Promise<Result<LoadedPipeline, DiagnosticsFailure>> {
  const path = resolve(file);
  const text = await readCapped(path, options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (typeof text !== 'string') {
    const range = text.inFile ? new SourceFile(path, '').whole() : undefined;
    return fail([{ severity: 'error', code: text.code, message: text.message, ...(range ? { range } : {}) }]);
  }
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

function tooLarge(size: number, max: number): string {
  const mb = (n: number): string =>
    n < 1024
      ? `${n} bytes`
      : n < 1024 ** 2
        ? `${(n / 1024).toFixed(1)} KiB`
        : `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `the file is ${mb(size)}${size > max + 1 ? '' : ' or more'}, over the ${mb(max)} limit for pipeline files`;
}

/** Reads at most `max` bytes, so a huge or endless file (a FIFO, /dev/zero) cannot exhaust memory. */
async function readCapped(
  path: string,
  max: number,
): Promise<string | { code: string; message: string; inFile: boolean }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open (${code ?? String(e)})`;
    return { code: 'read', message, inFile: false };
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory())
      return { code: 'read', message: `${path}: is a directory, not a pipeline file`, inFile: false };
    if (info.isFile() && info.size > max)
      return { code: 'too-large', message: tooLarge(info.size, max), inFile: true };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(1 << 20, max + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) return { code: 'too-large', message: tooLarge(total, max), inFile: true };
    }
    const bytes = Buffer.concat(chunks);
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    try {
      return text.decode(bytes);
    } catch {
      return { code: 'encoding', message: 'the file is not valid UTF-8 text', inFile: true };
    }
  } catch (e) {
    return {
      code: 'read',
      message: `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      inFile: false,
    };
  } finally {
    await handle.close();
  }
}
