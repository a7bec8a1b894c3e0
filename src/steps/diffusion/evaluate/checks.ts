// Prompt adherence needs more than the score src/workflow/scorers.ts hands back: the report shows how
// often each check of the scorer held (shape, colour, background). findScorer resolves and loads the
// scorer (and its errors are the user's messages); this module then looks up the same function again to
// read the checks it returns beside its score. The module is already loaded (and tsx registered for a
// .ts plugin) by then, so the second import is a cache hit.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RgbImage } from '../../../imaging/index.js';
import { localPluginFiles } from '../../plugins.js';
import type { ScorerSpec } from '../../../workflow/scorers.js';
import { findScorer } from '../../../workflow/scorers.js';
import type { Result } from '../../../util/result.js';
import { ok } from '../../../util/result.js';
import { WorkflowError } from '../../../workflow/sessions.js';

/** One image's verdict: the score and each named check (empty when the scorer reports none). */
export interface Verdict {
  readonly score: number;
  readonly checks: Readonly<Record<string, boolean>>;
  /** What the scorer read in the image, when it says (synthetic-shapes: colour, shape, background). */
  readonly seen?: Readonly<Record<string, string | null>>;
}

export interface CheckingScorer {
  readonly name: string;
  check(image: RgbImage, prompt: string): Promise<Verdict>;
}

type RawFn = (image: RgbImage, prompt: string) => unknown;

/**
 * The checks in a scorer's answer: `checks: { name: boolean }`, or boolean fields named `<name>Ok`
 * (the synthetic-shapes scorer's colorOk, shapeOk, backgroundOk), in the order the scorer gives them.
 */
export function checksOf(value: unknown): Record<string, boolean> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, boolean> = {};
  const nested = (value as { checks?: unknown }).checks;
  if (typeof nested === 'object' && nested !== null) {
    for (const [k, v] of Object.entries(nested)) if (typeof v === 'boolean') out[k] = v;
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    const m = /^(.+)Ok$/.exec(k);
    if (m?.[1] && typeof v === 'boolean') out[m[1]] = v;
  }
  return out;
}

/** The text fields of a scorer's `seen` (other fields, such as raw features, are left out). */
export function seenOf(value: unknown): Record<string, string | null> | undefined {
  const seen = typeof value === 'object' && value !== null ? (value as { seen?: unknown }).seen : undefined;
  if (typeof seen !== 'object' || seen === null) return undefined;
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(seen)) {
    if (typeof v === 'string') out[k] = v;
    else if (v === undefined || v === null) out[k] = null;
  }
  return Object.keys(out).length ? out : undefined;
}

function moduleEntry(path: string): string | undefined {
  if (existsSync(path) && statSync(path).isDirectory()) {
    for (const ext of ['.js', '.mjs', '.ts', '.mts'])
      if (existsSync(join(path, `index${ext}`))) return join(path, `index${ext}`);
    return undefined;
  }
  return existsSync(path) ? path : undefined;
}

async function load(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function scorersOf(mod: Record<string, unknown>): Record<string, unknown> {
  const found = mod['scorers'] ?? (mod['default'] as Record<string, unknown> | undefined)?.['scorers'];
  return typeof found === 'object' && found !== null ? (found as Record<string, unknown>) : {};
}

/** The function findScorer found, when it came from a module; undefined for in-process registrations. */
async function rawFunction(spec: ScorerSpec, pipelineDir: string): Promise<RawFn | undefined> {
  if (typeof spec !== 'string') {
    const file = moduleEntry(isAbsolute(spec.module) ? spec.module : resolve(pipelineDir, spec.module));
    const fn = file === undefined ? undefined : (await load(file))?.[spec.export ?? 'score'];
    return typeof fn === 'function' ? (fn as RawFn) : undefined;
  }
  for (const file of localPluginFiles(pipelineDir)) {
    const mod = await load(file);
    const fn = mod === undefined ? undefined : scorersOf(mod)[spec];
    if (typeof fn === 'function') return fn as RawFn;
  }
  return undefined;
}

/** Finds the scorer a pipeline names, as findScorer does, with each image's checks kept. */
export async function findCheckingScorer(
  spec: ScorerSpec,
  pipelineDir: string,
): Promise<Result<CheckingScorer, string>> {
  const found = await findScorer(spec, pipelineDir);
  if (!found.ok) return found;
  const scorer = found.value;
  const raw = await rawFunction(spec, pipelineDir);
  return ok({
    name: scorer.name,
    async check(image, prompt) {
      if (raw === undefined) return { score: await scorer.score(image, prompt), checks: {} };
      const value = await raw(image, prompt);
      const score = typeof value === 'number' ? value : (value as { score?: unknown } | null)?.score;
      if (typeof score !== 'number' || !Number.isFinite(score))
        throw new WorkflowError(`scorer ${scorer.name} returned no numeric score`);
      const seen = seenOf(value);
      return { score, checks: checksOf(value), ...(seen ? { seen } : {}) };
    },
  });
}
