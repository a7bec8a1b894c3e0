// Opening a pipeline file for any command: the step types it needs (from a provider the composition root
// hands in), then the pipeline loader, with a cache of loaded pipelines so a rerun of an unchanged file
// skips parsing and validation. The engine knows no step type itself.
import { resolve } from 'node:path';
import type { StepLookup } from '../contract/lookup.js';
import type { Diagnostic, DiagnosticsFailure } from '../pipeline/diagnostic.js';
import type { PipelineRule } from '../pipeline/rule-api.js';
import { SourceFile } from '../pipeline/source.js';
import type { Pipeline } from '../pipeline/types.js';
import { cacheKey, readCached, writeCached } from './pipeline-cache.js';
import { withoutYoungGrowth } from '../util/young-generation.js';
import { DEFAULT_MAX_BYTES, readPipelineText } from '../pipeline/read-text.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

/**
 * The step types a pipeline file may use. `used` holds the `step:` values a quick scan of `text` found
 * (undefined: give every step type); a provider may give more than asked, never fewer.
 */
export type StepProvider = (
  file: string,
  text: string,
  used: ReadonlySet<string> | undefined,
) => Promise<Result<StepLookup, Diagnostic[]>>;

export interface OpenedPipeline {
  readonly pipeline: Pipeline;
  readonly warnings: readonly Diagnostic[];
  readonly source: string;
  readonly registry: StepLookup;
  /**
   * Writes the loaded pipeline to the cache when that was deferred (`deferCacheWrite`) and is still to
   * do; otherwise, and from the second call on, nothing.
   */
  readonly saveCache: () => void;
}

export interface OpenFailure extends DiagnosticsFailure {
  /** The file's text when it could be read, for printing source lines. */
  readonly source: string | undefined;
}

export interface OpenOptions {
  /** Where the step types come from. */
  readonly steps: StepProvider;
  readonly params?: Readonly<Record<string, string>>;
  /**
   * Cross-node rules run by the loader after its own checks: a list, or a `RuleSet` that loads them only
   * when the file has to be loaded (a pipeline found in the cache needs no rules).
   */
  readonly rules?: readonly PipelineRule[] | RuleSet;
  /**
   * Where loaded pipelines are cached (the workspace's `cache/pipelines`). A rerun of an unchanged file
   * then skips parsing and validation.
   */
  readonly cacheDir?: string;
  /**
   * Leaves writing the cache to the caller's `saveCache`: a run writes it once its first job is out, so
   * a cold run's first job does not wait for it.
   */
  readonly deferCacheWrite?: boolean;
}

/** Rules behind a loader, with what stands for their code in the pipeline cache's key. */
export interface RuleSet {
  /** Changes whenever the rules' code does (see `codeIdentity`). */
  readonly identity: string;
  /**
   * The step types the rules look at, when they look only at nodes of those: a pipeline with no such node
   * gets nothing from them, so they are not loaded for it. Absent: they concern every pipeline.
   */
  readonly steps?: readonly string[];
  load(): Promise<readonly PipelineRule[]>;
}

export async function openPipeline(
  file: string,
  opts: OpenOptions,
): Promise<Result<OpenedPipeline, OpenFailure>> {
  const path = resolve(file);
  const text = await readPipelineText(path, DEFAULT_MAX_BYTES, file);
  if (typeof text !== 'string')
    return err({ reason: 'invalid', diagnostics: [text.diagnostic], source: text.text });
  const named = stepNamesIn(text);
  let registry = await opts.steps(path, text, named);
  if (!registry.ok) return err({ reason: 'invalid', diagnostics: registry.error, source: text });
  const params = opts.params ?? {};
  const ruleSet = asRuleSet(opts.rules ?? []);
  const cacheDir = opts.cacheDir;
  const key =
    cacheDir === undefined ? undefined : cacheKey(path, text, params, registry.value, ruleSet.identity);
  // Read, as the loader runs, without the young generation doubling for what survives (10,000 nodes
  // read from the cache took it to 32 MB).
  const hit =
    key === undefined || cacheDir === undefined
      ? undefined
      : withoutYoungGrowth(() => readCached(cacheDir, key, () => new SourceFile(path, text)));
  if (hit) return ok({ ...hit, source: text, registry: registry.value, saveCache: nothing });
  // Rules that concern some step types load with the loader when the quick scan finds one of them in the
  // file; otherwise the file is built without them, and again with them when it uses such a step after all
  // (in YAML the scan does not read, spelt with escapes, a plugin's step) or is invalid (so that every
  // diagnostic is reported).
  const early = ruleSet.steps === undefined || ruleSet.steps.some((step) => named.has(step));
  const [{ loadPipelineText }, first] = await Promise.all([
    import('../pipeline/load.js'),
    early ? ruleSet.load() : undefined,
  ]);
  let rules = first ?? [];
  // Without the young generation doubling for the tree that survives while a large file loads.
  const load = (steps: StepLookup): ReturnType<typeof loadPipelineText> =>
    withoutYoungGrowth(() => loadPipelineText(path, text, { params, steps, rules }));
  let loaded = load(registry.value);
  // The quick scan for `step:` values can miss unusual YAML (flow maps, anchors): retry with every step.
  if (!loaded.ok && loaded.error.diagnostics.some((d) => d.code === 'unknown-step')) {
    registry = await opts.steps(path, text, undefined);
    if (!registry.ok) return err({ reason: 'invalid', diagnostics: registry.error, source: text });
    loaded = load(registry.value);
  }
  if (first === undefined && (!loaded.ok || usesAny(loaded.value.pipeline, ruleSet.steps ?? []))) {
    rules = await ruleSet.load();
    loaded = load(registry.value);
  }
  if (!loaded.ok) return err({ ...loaded.error, source: text });
  // The YAML tree is garbage now: for a large file, collected before the run allocates beside it.
  const { collectLoadGarbage } = await import('../util/heap-bound.js');
  collectLoadGarbage();
  const { pipeline, warnings } = loaded.value;
  let saveCache = nothing;
  if (key !== undefined && cacheDir !== undefined) {
    let due = true;
    saveCache = () => {
      if (due) writeCached(cacheDir, key, { pipeline, warnings });
      due = false;
    };
    if (opts.deferCacheWrite !== true) saveCache();
  }
  return ok({ ...loaded.value, registry: registry.value, saveCache });
}

const nothing = (): void => undefined;

/** Whether a node of `pipeline` uses one of `steps`. */
function usesAny(pipeline: Pipeline, steps: readonly string[]): boolean {
  for (const node of pipeline.nodes.values()) if (steps.includes(node.step)) return true;
  return false;
}

/** A list of rules as a `RuleSet`: rules are code, their sources stand for them in the cache key. */
function asRuleSet(rules: readonly PipelineRule[] | RuleSet): RuleSet {
  if (!Array.isArray(rules)) return rules as RuleSet;
  const list = rules as readonly PipelineRule[];
  return { identity: list.map((r) => r.toString()).join('\0'), load: () => Promise.resolve(list) };
}

/** The values of `step:` keys, found without parsing the YAML. */
export function stepNamesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^[ \t-]*step[ \t]*:[ \t]*["']?([^\s"'#,}]+)/gm)) names.add(m[1] as string);
  return names;
}
