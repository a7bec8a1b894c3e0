// Prompt adherence of compose.inference's images, per stage (composed, base only), with a scorer. The
// headline is strict: an image adheres only when its score is exactly 1 and every check the scorer
// reports holds. Beside it: how often each check held, and the mean score (which gives partial credit).
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readRgb } from '../../../imaging/index.js';
import { WorkflowError } from '../../../workflow/sessions.js';
import type { ComposedImage } from '../../files/compose-index.js';
import type { AdherenceResult, CheckLabel, ScoredImage, StageAdherence } from '../../files/evaluation.js';
import type { CheckingScorer, Verdict } from './checks.js';

export type { AdherenceResult, ScoredImage, StageAdherence } from '../../files/evaluation.js';

/** Strict: the score is exactly 1 and no check failed. */
export const adheres = (v: Verdict): boolean =>
  v.score === 1 && Object.values(v.checks).every((held) => held);

export async function scoreImages(indexPath: string, scorer: CheckingScorer): Promise<AdherenceResult> {
  let entries: readonly ComposedImage[];
  try {
    const parsed = JSON.parse(await readFile(indexPath, 'utf8')) as { images?: unknown };
    if (!Array.isArray(parsed.images)) throw new Error('no "images" list');
    entries = parsed.images as ComposedImage[];
  } catch (e) {
    throw new WorkflowError(
      `images ${indexPath}: not a compose.inference index.json (${(e as Error).message})`,
    );
  }
  const root = join(dirname(indexPath), 'images');
  const images: ScoredImage[] = [];
  let labels: readonly CheckLabel[] | undefined;
  for (const e of entries) {
    const verdict = await scorer.check(await readRgb(join(root, e.file)), e.prompt);
    labels ??= verdict.labels;
    images.push({
      file: e.file,
      stage: e.stage,
      prompt: e.prompt,
      score: verdict.score,
      adherent: adheres(verdict),
      checks: verdict.checks,
      ...(verdict.seen ? { seen: verdict.seen } : {}),
      ...(verdict.reading ? { reading: verdict.reading } : {}),
    });
  }
  const checks = [...new Set(images.flatMap((i) => Object.keys(i.checks)))];
  const stages: Record<string, StageAdherence> = {};
  for (const stage of [...new Set(images.map((i) => i.stage))]) {
    const s = images.filter((i) => i.stage === stage);
    const count = s.filter((i) => i.adherent).length;
    stages[stage] = {
      images: s.length,
      adherent_images: count,
      adherent: count / s.length,
      mean: s.reduce((a, b) => a + b.score, 0) / s.length,
      checks: Object.fromEntries(
        checks.map((c) => [c, s.filter((i) => i.checks[c] === true).length / s.length]),
      ),
    };
  }
  return { scorer: scorer.name, checks, ...(labels ? { check_labels: labels } : {}), stages, images };
}
