// Prompt adherence of compose.inference's images, per stage (composed, base only), with a scorer.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readRgb } from '../../../imaging/index.js';
import type { Scorer } from '../../../workflow/scorers.js';
import { WorkflowError } from '../../../workflow/sessions.js';

export interface StageAdherence {
  readonly images: number;
  /** Mean score. */
  readonly mean: number;
  /** Share of images that score 1 (every check holds). */
  readonly adherent: number;
}

export interface AdherenceResult {
  readonly scorer: string;
  readonly stages: Readonly<Record<string, StageAdherence>>;
  readonly images: readonly {
    readonly file: string;
    readonly stage: string;
    readonly prompt: string;
    readonly score: number;
  }[];
}

interface IndexEntry {
  readonly file: string;
  readonly stage: string;
  readonly prompt: string;
}

export async function scoreImages(indexPath: string, scorer: Scorer): Promise<AdherenceResult> {
  let entries: IndexEntry[];
  try {
    const parsed = JSON.parse(await readFile(indexPath, 'utf8')) as { images?: unknown };
    if (!Array.isArray(parsed.images)) throw new Error('no "images" list');
    entries = parsed.images as IndexEntry[];
  } catch (e) {
    throw new WorkflowError(
      `images ${indexPath}: not a compose.inference index.json (${(e as Error).message})`,
    );
  }
  const root = join(dirname(indexPath), 'images');
  const images: AdherenceResult['images'][number][] = [];
  for (const e of entries) {
    const image = await readRgb(join(root, e.file));
    images.push({
      file: e.file,
      stage: e.stage,
      prompt: e.prompt,
      score: await scorer.score(image, e.prompt),
    });
  }
  const stages: Record<string, StageAdherence> = {};
  for (const stage of [...new Set(images.map((i) => i.stage))]) {
    const s = images.filter((i) => i.stage === stage);
    stages[stage] = {
      images: s.length,
      mean: s.reduce((a, b) => a + b.score, 0) / s.length,
      adherent: s.filter((i) => i.score >= 1).length / s.length,
    };
  }
  return { scorer: scorer.name, stages, images };
}
