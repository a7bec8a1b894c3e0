// evaluate's results.json (src/steps/files/evaluation.ts) → the evaluation table and chart, prompt
// adherence, extra scores and the verdict under each sample image.
import type {
  Adherence,
  AdherenceSummary,
  Band,
  Evaluation,
  EvaluationRow,
  TimestepCurves,
} from '../../html/index.js';
import { isSkipped } from '../files/evaluation.js';
import type {
  AdherenceResult,
  CheckLabel,
  EvaluationResults,
  LossModel,
  StageAdherence,
} from '../files/evaluation.js';
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
  /** Each check under the scorer's short label, in the scorer's order. */
  readonly checks: readonly { readonly label: string; readonly held: boolean }[];
  /** What the scorer read, as a phrase. */
  readonly seen?: string;
}

/** A check key as it reads when the scorer gives no label for it. */
const plainKey = (key: string): string => key.replace(/_/g, ' ');

/**
 * The checks in the order to show them (those the scorer labelled, in its order, then the rest as
 * reported), each with its label and short label: the scorer's, or the key itself.
 */
function checkLabels(
  keys: readonly string[],
  labels: readonly CheckLabel[] | undefined,
): { readonly key: string; readonly label: string; readonly short: string }[] {
  const known = (labels ?? []).filter((l) => keys.includes(l.key));
  const rest = keys.filter((k) => !known.some((l) => l.key === k));
  return [...known, ...rest.map((key) => ({ key, label: plainKey(key), short: plainKey(key) }))];
}

/**
 * What a scorer read, as a phrase: its own `reading` when it gives one, otherwise its `seen` fields as
 * "key value, …".
 */
export function seenPhrase(reading: string | undefined, seen: Json | undefined): string | undefined {
  if (reading !== undefined) return reading;
  if (!isObject(seen)) return undefined;
  const parts = Object.entries(seen)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${plainKey(k)} ${String(v)}`);
  return parts.length ? parts.join(', ') : undefined;
}

export interface EvaluationParts {
  readonly evaluation: Evaluation | undefined;
  readonly adherence: Adherence | undefined;
  /** evaluate's verdict per compose image file, for the sample grid. */
  readonly imageScores: Map<string, ImageVerdict>;
}

/** A scorer as evaluate names it, without the module's folders: "my-plugin#score" for ../plugins/my-plugin#score. */
const scorerName = (name: string): string => name.replace(/^.*[\\/]/, '');

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
  const checks = checkLabels(keys, result.check_labels);
  const named = checks.map((c) => c.label);
  return {
    description:
      'An image counts only when every check of the scorer holds' +
      (named.length ? ` (${named.join(', ')})` : '') +
      `; held-out prompts, scored by ${scorerName(result.scorer)}.` +
      ' The mean score gives partial credit: ⅔ when two of three checks hold.',
    ...(checks.length ? { checks: checks.map(({ key, label }) => ({ key, label })) } : {}),
    summaries,
  };
}

/** Per-image verdicts (evaluate's `adherence.images`), by file, for the sample grid. */
export function imageScores(adherence: AdherenceResult | undefined): Map<string, ImageVerdict> {
  const out = new Map<string, ImageVerdict>();
  for (const i of adherence?.images ?? []) {
    const keys = [...(adherence?.checks ?? [])];
    for (const k of Object.keys(i.checks)) if (!keys.includes(k)) keys.push(k);
    const checks = checkLabels(keys, adherence?.check_labels)
      .filter((c) => c.key in i.checks)
      .map((c) => ({ label: c.short, held: i.checks[c.key] === true }));
    const seen = seenPhrase(i.reading, i.seen as Json | undefined);
    out.set(i.file, { score: i.score, checks, adherent: i.adherent, ...(seen ? { seen } : {}) });
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
