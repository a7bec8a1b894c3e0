// Prompt adherence needs more than a scorer's number: the report shows how often each check of the
// scorer held (shape, colour, background) and what it read in the image. This module reads both from the
// scorer's whole answer.
import type { RgbImage } from '../../../imaging/index.js';
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

/** Finds the scorer a pipeline names, as findScorer does, with each image's checks kept. */
export async function findCheckingScorer(
  spec: ScorerSpec,
  pipelineDir: string,
): Promise<Result<CheckingScorer, string>> {
  const found = await findScorer(spec, pipelineDir);
  if (!found.ok) return found;
  const scorer = found.value;
  return ok({
    name: scorer.name,
    async check(image, prompt) {
      const { score, value } = await scorer.answer(image, prompt).catch((e: unknown) => {
        throw new WorkflowError((e as Error).message);
      });
      const seen = seenOf(value);
      return { score, checks: checksOf(value), ...(seen ? { seen } : {}) };
    },
  });
}
