// Opening a pipeline file for any command: the step types it needs (built-in ones it names, plugins
// beside it or listed in it), then the pipeline loader. Only the step modules a pipeline uses are
// imported, which keeps a cached rerun fast.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Diagnostic, DiagnosticsFailure } from '../pipeline/diagnostic.js';
import type { PipelineRule } from '../pipeline/lookup.js';
import type { Pipeline } from '../pipeline/types.js';
import { cacheKey, readCached, writeCached } from './pipeline-cache.js';
import { builtinStepNames, builtinSteps } from '../steps/builtin.js';
import { loadPlugins } from '../steps/plugins.js';
import { StepRegistry } from '../steps/registry.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export interface OpenedPipeline {
  readonly pipeline: Pipeline;
  readonly warnings: readonly Diagnostic[];
  readonly source: string;
  readonly registry: StepRegistry;
}

export interface OpenFailure extends DiagnosticsFailure {
  /** The file's text when it could be read, for printing source lines. */
  readonly source: string | undefined;
}

export interface OpenOptions {
  readonly params?: Readonly<Record<string, string>>;
  /** Cross-node rules run by the loader after its own checks. */
  readonly rules?: readonly PipelineRule[];
  /**
   * Where loaded pipelines are cached (the workspace's `cache/pipelines`). A rerun of an unchanged file
   * then skips parsing and validation.
   */
  readonly cacheDir?: string;
}

export async function openPipeline(
  file: string,
  opts: OpenOptions = {},
): Promise<Result<OpenedPipeline, OpenFailure>> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `${file}: no such file` : `${file}: ${(e as Error).message}`;
    return err({
      reason: 'invalid',
      diagnostics: [{ severity: 'error', code: 'file', message }],
      source: undefined,
    });
  }
  const dir = dirname(path);
  const used = stepNamesIn(text);
  let registry = await registryFor(path, dir, text, used);
  if (!registry.ok) return err({ reason: 'invalid', diagnostics: registry.error, source: text });
  const params = opts.params ?? {};
  const rules = opts.rules ?? [];
  const key =
    opts.cacheDir === undefined
      ? undefined
      : cacheKey(path, text, params, registry.value, rulesIdentity(rules));
  const hit = key === undefined || opts.cacheDir === undefined ? undefined : readCached(opts.cacheDir, key);
  if (hit) return ok({ ...hit, source: text, registry: registry.value });
  const { loadPipelineText } = await import('../pipeline/load.js');
  let loaded = loadPipelineText(path, text, { params, steps: registry.value, rules });
  // The quick scan for `step:` values can miss unusual YAML (flow maps, anchors): retry with every step.
  if (!loaded.ok && loaded.error.diagnostics.some((d) => d.code === 'unknown-step')) {
    registry = await registryFor(path, dir, text, undefined);
    if (!registry.ok) return err({ reason: 'invalid', diagnostics: registry.error, source: text });
    loaded = loadPipelineText(path, text, { params, steps: registry.value, rules });
  }
  if (!loaded.ok) return err({ ...loaded.error, source: text });
  if (key !== undefined && opts.cacheDir !== undefined) {
    writeCached(opts.cacheDir, key, { pipeline: loaded.value.pipeline, warnings: loaded.value.warnings });
  }
  return ok({ ...loaded.value, registry: registry.value });
}

/** Rules are code: their names and sources stand for them in the cache key. */
function rulesIdentity(rules: readonly PipelineRule[]): string {
  return rules.map((r) => r.toString()).join('\0');
}

/** A registry with every built-in step and the plugins of `file` (when given). */
export async function stepRegistry(file: string | undefined): Promise<Result<StepRegistry, Diagnostic[]>> {
  if (file === undefined) return registryFor(undefined, process.cwd(), '', undefined);
  const path = resolve(file);
  const text = await readFile(path, 'utf8').catch(() => '');
  return registryFor(path, dirname(path), text, undefined);
}

async function registryFor(
  path: string | undefined,
  dir: string,
  text: string,
  used: ReadonlySet<string> | undefined,
): Promise<Result<StepRegistry, Diagnostic[]>> {
  const registry = new StepRegistry();
  const diagnostics: Diagnostic[] = [];
  for (const step of await builtinSteps(used)) registry.register(step, { origin: 'built-in' });
  const listed = await pluginsListed(text);
  if (path !== undefined && (listed.length > 0 || existsSync(join(dir, 'plugins')))) {
    const plugins = await loadPlugins(path, dir, listed);
    diagnostics.push(...plugins.diagnostics);
    for (const { step, origin } of plugins.steps) {
      const r = registry.register(step, { origin });
      if (!r.ok) diagnostics.push({ severity: 'error', code: 'duplicate-step', message: r.error.message });
    }
  }
  return diagnostics.length > 0 ? err(diagnostics) : ok(registry);
}

/** The values of `step:` keys, found without parsing the YAML. */
export function stepNamesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^[ \t-]*step[ \t]*:[ \t]*["']?([^\s"'#,}]+)/gm)) names.add(m[1] as string);
  if (names.size === 0) for (const n of builtinStepNames()) names.add(n);
  return names;
}

/** The `plugins:` list, parsed only when the file has one. Malformed values are left to the loader. */
async function pluginsListed(text: string): Promise<string[]> {
  if (!/^plugins[ \t]*:/m.test(text)) return [];
  try {
    const { parse } = await import('yaml');
    const doc = parse(text, { maxAliasCount: 100 }) as { plugins?: unknown };
    return Array.isArray(doc.plugins) ? doc.plugins.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}
