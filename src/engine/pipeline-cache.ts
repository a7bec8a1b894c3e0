// A cache of loaded pipelines, so that rerunning an unchanged pipeline skips YAML parsing, schema
// compilation and validation (most of a cached rerun's time on large pipelines). An entry is keyed by
// everything the loader's result depends on: the file's text, the `--param` overrides, each step type's
// name, version, `with` schema and outputs function, and the loader's own code (its files' sizes and
// mtimes, so editing moe invalidates it).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { ParamValue, Pipeline, PipelineNode } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import type { StepLookup } from '../steps/registry.js';

const FORMAT = 'moe-pipeline-cache-v2';

export interface CachedLoad {
  readonly pipeline: Pipeline;
  readonly warnings: readonly Diagnostic[];
}

export function cacheKey(
  file: string,
  text: string,
  params: Readonly<Record<string, string>>,
  steps: StepLookup,
  extra: string,
): string {
  const h = createHash('sha256')
    .update(FORMAT)
    .update('\0')
    .update(file)
    .update('\0')
    .update(text)
    .update('\0');
  for (const k of Object.keys(params).sort()) h.update(`${k}=${params[k] ?? ''}\0`);
  for (const name of steps.names()) {
    const s = steps.get(name);
    if (!s) continue;
    h.update(`${name}\0${s.version}\0${JSON.stringify(s.withSchema)}\0${String(s.outputs)}\0`);
  }
  h.update(loaderIdentity()).update('\0').update(extra);
  return h.digest('hex');
}

let identity: string | undefined;

/** Sizes and mtimes of the pipeline module's files (in dist/ or src/, wherever this process loads them). */
function loaderIdentity(): string {
  if (identity !== undefined) return identity;
  const parts: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const s = statSync(abs);
      if (s.isDirectory()) walk(abs);
      else if (/\.(js|ts)$/.test(name)) parts.push(`${name}:${s.size}:${s.mtimeMs}`);
    }
  };
  try {
    walk(join(dirname(fileURLToPath(import.meta.url)), '..', 'pipeline'));
  } catch {
    parts.push(String(Date.now()));
  }
  identity = parts.join(',');
  return identity;
}

/** The two maps of a `Pipeline` travel as entry lists: plain JSON parses faster than v8 deserialisation. */
interface Stored {
  readonly pipeline: Omit<Pipeline, 'params' | 'nodes'> & {
    readonly params: [string, ParamValue][];
    readonly nodes: [NodeId, PipelineNode][];
  };
  readonly warnings: readonly Diagnostic[];
}

export function readCached(dir: string, key: string): CachedLoad | undefined {
  try {
    const stored = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as Stored;
    const pipeline = {
      ...stored.pipeline,
      params: new Map(stored.pipeline.params),
      nodes: new Map(stored.pipeline.nodes),
    };
    return { pipeline, warnings: stored.warnings };
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only costs the next run a full load. */
export function writeCached(dir: string, key: string, value: CachedLoad): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    const stored = {
      pipeline: { ...value.pipeline, params: [...value.pipeline.params], nodes: [...value.pipeline.nodes] },
      warnings: value.warnings,
    };
    writeFileSync(tmp, JSON.stringify(stored));
    renameSync(tmp, join(dir, `${key}.json`));
  } catch {
    // Read-only workspace or full disk: carry on uncached.
  }
}
