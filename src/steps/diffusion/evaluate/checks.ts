// Prompt adherence needs more than a scorer's number: the report shows how often each check of the
// scorer held, what it read in the image, and the checks under the scorer's own labels. This module reads
// them from the scorer's whole answer: `checks` (or `<name>Ok` fields), `seen`, `reading` and `labels`.
import type { RgbImage } from '../../../imaging/index.js';
import type { ScorerSpec } from '../../../workflow/scorers.js';
import { findScorer } from '../../../workflow/scorers.js';
import { localPluginFiles } from '../../plugins.js';
import type { CheckLabel } from '../../files/evaluation.js';
import type { Result } from '../../../util/result.js';
import { ok } from '../../../util/result.js';
import { WorkflowError } from '../../../workflow/sessions.js';

/** One image's verdict: the score and each named check (empty when the scorer reports none). */
export interface Verdict {
  readonly score: number;
  readonly checks: Readonly<Record<string, boolean>>;
  /** What the scorer read in the image, when it says (synthetic-shapes: colour, shape, background). */
  readonly seen?: Readonly<Record<string, string | null>>;
  /** The scorer's phrase for what it read. */
  readonly reading?: string;
  /** The scorer's labels for its checks, in the order to show them. */
  readonly labels?: readonly CheckLabel[];
}

export interface CheckingScorer {
  readonly name: string;
  check(image: RgbImage, prompt: string): Promise<Verdict>;
}

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

/** The scorer's phrase for what it read (`reading`, a non-empty string). */
export function readingOf(value: unknown): string | undefined {
  const r =
    typeof value === 'object' && value !== null ? (value as { reading?: unknown }).reading : undefined;
  return typeof r === 'string' && r.trim() !== '' ? r : undefined;
}

/**
 * The scorer's check labels (`labels`: a list of { key, label, short? }), in its order; entries without a
 * string key and label are left out, a missing short label is the label.
 */
export function labelsOf(value: unknown): CheckLabel[] | undefined {
  const list =
    typeof value === 'object' && value !== null ? (value as { labels?: unknown }).labels : undefined;
  if (!Array.isArray(list)) return undefined;
  const out: CheckLabel[] = [];
  for (const entry of list as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { key, label, short } = entry as { key?: unknown; label?: unknown; short?: unknown };
    if (typeof key !== 'string' || typeof label !== 'string') continue;
    out.push({ key, label, short: typeof short === 'string' ? short : label });
  }
  return out.length ? out : undefined;
}

/**
 * Finds the scorer a pipeline names, as findScorer does (the plugins beside the pipeline offer theirs),
 * with each image's checks kept.
 */
export async function findCheckingScorer(
  spec: ScorerSpec,
  pipelineDir: string,
): Promise<Result<CheckingScorer, string>> {
  const found = await findScorer(spec, pipelineDir, localPluginFiles(pipelineDir));
  if (!found.ok) return found;
  const scorer = found.value;
  return ok({
    name: scorer.name,
    async check(image, prompt) {
      const { score, value } = await scorer.answer(image, prompt).catch((e: unknown) => {
        throw new WorkflowError((e as Error).message);
      });
      const seen = seenOf(value);
      const reading = readingOf(value);
      const labels = labelsOf(value);
      return {
        score,
        checks: checksOf(value),
        ...(seen ? { seen } : {}),
        ...(reading ? { reading } : {}),
        ...(labels ? { labels } : {}),
      };
    },
  });
}
