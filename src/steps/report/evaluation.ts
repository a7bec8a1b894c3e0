// evaluate's results.json (src/steps/files/evaluation.ts) → the evaluation table and chart, prompt
// adherence, extra scores and the verdict under each sample image.
import type {
  Adherence,
  AdherenceSummary,
  Band,
  Evaluation,
  EvaluationRow,
  TimestepCurves,
} from '../../report/index.js';
import { isSkipped } from '../files/evaluation.js';
import type { AdherenceResult, EvaluationResults, LossModel, StageAdherence } from '../files/evaluation.js';
import { toneOf } from './experts.js';
import { isObject, numberOr, readJson, type Json, type Notes } from './read.js';

const BAND_LABELS: Readonly<Record<string, string>> = {
  base_band: 'base range',
  refiner_band: 'refiner range',
  full: 'full range',
};

/** How a model key is shown: the pair under the name people use for it. */
export function modelLabel(key: string): string {
  const tone = toneOf(key);
  if (tone === 'pair') return 'base → refiner';
  if (key === 'base' || key === 'refiner') return `${key} alone`;
  if (key === 'base_only') return 'base only';
  return key.replace(/_/g, ' ');
}

/** The loss bands results.json reports for every model, in its order, with their timestep ranges. */
function lossBands(results: EvaluationResults): Band[] {
  const { base, refiner } = results.bands;
  const ranges: Readonly<Record<string, readonly [number, number]>> = {
    base_band: [base.min, base.max],
    refiner_band: [refiner.min, refiner.max],
    full: [Math.min(base.min, refiner.min), Math.max(base.max, refiner.max)],
  };
  return Object.entries(ranges).map(([key, range]) => ({ key, label: BAND_LABELS[key] ?? key, range }));
}

/** Rows in a fixed order: each expert alone first, the pair last. */
const rank = (tone: string): number => ({ base: 0, refiner: 1, other: 2, pair: 3 })[tone] ?? 2;

/** evaluate's verdict on one compose image. */
export interface ImageVerdict {
  readonly score: number;
  /** Every check holds (evaluate version 2); absent in older results, where score 1 means the same. */
  readonly adherent?: boolean;
  readonly checks: readonly { readonly key: string; readonly held: boolean }[];
  /** What the scorer read, as a phrase. */
  readonly seen?: string;
}

/** The order checks are shown in when a scorer names them so: the object, then its surroundings. */
const CHECK_ORDER = ['shape', 'color', 'colour', 'background'];
const byCheckOrder = (a: string, b: string): number =>
  (CHECK_ORDER.indexOf(a) + 1 || 99) - (CHECK_ORDER.indexOf(b) + 1 || 99);

/**
 * A scorer's reading as a phrase: "a green square on blue" for the synthetic-shapes fields (colour,
 * shape, background; "nothing" when no object was found), "key value, …" for others.
 */
export function seenPhrase(seen: Json | undefined): string | undefined {
  if (!isObject(seen)) return undefined;
  const text = (k: string): string | null | undefined => {
    const v = seen[k];
    return typeof v === 'string' ? v : v === null ? null : undefined;
  };
  const shape = text('shape');
  const colour = text('colour') ?? text('color');
  const background = text('background');
  if (shape !== undefined && background !== undefined) {
    const object = shape === null ? 'nothing' : `a ${colour ? `${colour} ` : ''}${shape}`;
    return `${object} on ${background ?? 'an unclear background'}`;
  }
  const parts = Object.entries(seen)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${String(v)}`);
  return parts.length ? parts.join(', ') : undefined;
}

export interface EvaluationParts {
  readonly evaluation: Evaluation | undefined;
  readonly adherence: Adherence | undefined;
  /** evaluate's verdict per compose image file, for the sample grid. */
  readonly imageScores: Map<string, ImageVerdict>;
}

/** A scorer as evaluate names it, without the module's folders: "synthetic-shapes#scoreAdherence". */
const scorerName = (name: string): string => name.replace(/^.*[\\/]/, '');

/** How a scorer's check keys read on the page (synthetic-shapes: shape, its colour, the background's). */
const CHECK_LABELS: Readonly<Record<string, string>> = {
  shape: 'shape',
  color: 'shape colour',
  colour: 'shape colour',
  background: 'background colour',
};
export const checkLabel = (key: string): string => CHECK_LABELS[key] ?? key.replace(/_/g, ' ');

/** The shorter form under each sample image. */
const SHORT_CHECK_LABELS: Readonly<Record<string, string>> = { color: 'colour', colour: 'colour' };
export const shortCheckLabel = (key: string): string => SHORT_CHECK_LABELS[key] ?? key.replace(/_/g, ' ');

const LOSS_MODELS: readonly LossModel[] = ['base', 'refiner', 'composed'];

const EMPTY: EvaluationParts = { evaluation: undefined, adherence: undefined, imageScores: new Map() };

/** results.json as evaluate writes it; a file without its loss block is noted and read as nothing. */
function asResults(json: Json | undefined, notes: Notes): EvaluationResults | undefined {
  if (json === undefined) return undefined;
  if (!isObject(json)) {
    notes.add('results.json: expected a JSON object');
    return undefined;
  }
  const { loss, bands } = json;
  if (!isObject(loss) || !LOSS_MODELS.every((m) => isObject(loss[m])) || !isObject(bands)) {
    notes.add('results.json: no `loss` block with the base, refiner and composed losses per band');
    return undefined;
  }
  return json as unknown as EvaluationResults;
}

export async function readEvaluation(path: string, notes: Notes): Promise<EvaluationParts> {
  const results = asResults(await readJson(path, 'results.json', notes), notes);
  if (results === undefined) return EMPTY;
  const bands = lossBands(results);
  const rows: EvaluationRow[] = LOSS_MODELS.map((model) => {
    const values: Record<string, number> = {};
    for (const b of bands) {
      const v = numberOr(results.loss[model][b.key as 'full']);
      if (v !== undefined) values[b.key] = v;
    }
    return { label: modelLabel(model), tone: toneOf(model), values };
  }).sort((a, b) => rank(a.tone) - rank(b.tone));
  const clip = isSkipped(results.clip_score) ? {} : results.clip_score.stages;
  const extra = Object.entries(clip).map(([stage, s]) => ({
    label: `CLIP score, ${modelLabel(stage)}`,
    value: s.mean,
  }));
  const curves = readCurves(results, bands);
  const metric = 'evaluation loss (MSE of the prediction target)';
  const adherence = isSkipped(results.adherence) ? undefined : results.adherence;
  return {
    evaluation: { metric, bands, rows, extra, ...(curves ? { curves } : {}) },
    adherence: adherence === undefined ? undefined : readStages(adherence),
    imageScores: imageScores(adherence),
  };
}

/**
 * Per stage, the share of images where every check holds (`adherent`, the headline), how many
 * (`adherent_images` of `images`), the share per check (`checks`) and the mean score.
 */
function readStages(result: AdherenceResult): Adherence | undefined {
  const keys = [...result.checks];
  const summaries: AdherenceSummary[] = Object.entries(result.stages).map(
    ([stage, s]: [string, StageAdherence]) => {
      for (const k of Object.keys(s.checks)) if (!keys.includes(k)) keys.push(k);
      const tone = toneOf(stage);
      return {
        label: tone === 'base' ? 'base only' : modelLabel(stage),
        tone,
        score: s.adherent,
        total: s.images,
        passed: s.adherent_images,
        mean: s.mean,
        ...(Object.keys(s.checks).length ? { checks: s.checks } : {}),
      };
    },
  );
  summaries.sort((a, b) => rank(a.tone) - rank(b.tone));
  if (summaries.length === 0) return undefined;
  keys.sort(byCheckOrder);
  const named = keys.map(checkLabel);
  return {
    description:
      'An image counts only when every check of the scorer holds' +
      (named.length ? ` (${named.join(', ')})` : '') +
      `; held-out prompts, scored by ${scorerName(result.scorer)}.` +
      ' The mean score gives partial credit: ⅔ when two of three checks hold.',
    ...(keys.length ? { checks: keys.map((key) => ({ key, label: checkLabel(key) })) } : {}),
    summaries,
  };
}

/** Per-image verdicts (evaluate's `adherence.images`), by file, for the sample grid. */
export function imageScores(adherence: AdherenceResult | undefined): Map<string, ImageVerdict> {
  const out = new Map<string, ImageVerdict>();
  for (const i of adherence?.images ?? []) {
    const checks = Object.entries(i.checks).map(([key, held]) => ({ key, held }));
    const seen = seenPhrase(i.seen as Json | undefined);
    out.set(i.file, {
      score: i.score,
      checks: checks.sort((a, b) => byCheckOrder(a.key, b.key)),
      adherent: i.adherent,
      ...(seen ? { seen } : {}),
    });
  }
  return out;
}

/** evaluate's `timesteps` with each model's `per_timestep` losses (same order), for the loss-per-timestep chart. */
function readCurves(results: EvaluationResults, bands: readonly Band[]): TimestepCurves | undefined {
  const { timesteps } = results;
  const series = LOSS_MODELS.filter((m) => results.loss[m].per_timestep.length === timesteps.length)
    .map((model) => ({
      label: modelLabel(model),
      tone: toneOf(model),
      values: results.loss[model].per_timestep.map((v) => (typeof v === 'number' ? v : Number.NaN)),
    }))
    .sort((a, b) => rank(a.tone) - rank(b.tone));
  if (series.length === 0) return undefined;
  const cutoff = bands.find((b) => b.key === 'base_band')?.range?.[0];
  return { timesteps, series, ...(cutoff !== undefined ? { cutoff } : {}) };
}
