// evaluate's results.json → the evaluation table and chart, prompt adherence and extra scores.
//
// What is read (other keys are ignored):
//   bands:     { <band>: [lo, hi] }  or  [{ key, label?, range: [lo, hi] }]
//   loss:      { <model>: { <band>: number } }        (also accepted under `losses` or `eval_loss`)
//   adherence: { <model>: number | { score, passed?, total? } }
//   clip_score: number | { <model>: number }
//   metric:    a description of the loss; elapsed_s: seconds the evaluation took
import type {
  Adherence,
  AdherenceSummary,
  Band,
  Evaluation,
  EvaluationRow,
  TimestepCurves,
  Timing,
} from '../../report/index.js';
import { toneOf } from './experts.js';
import { isObject, numberOr, readJson, type Json, type Notes } from './read.js';

const BAND_LABELS: Readonly<Record<string, string>> = {
  base: 'base range',
  base_band: 'base range',
  refiner: 'refiner range',
  refiner_band: 'refiner range',
  full: 'full range',
};

/** evaluate names the loss bands `base_band`/`refiner_band` and their ranges `base`/`refiner`. */
const RANGE_KEY: Readonly<Record<string, string>> = { base_band: 'base', refiner_band: 'refiner' };

/** How a model key is shown: the pair under the name people use for it. */
export function modelLabel(key: string): string {
  const tone = toneOf(key);
  if (tone === 'pair') return 'base → refiner';
  if (key === 'base' || key === 'refiner') return `${key} alone`;
  if (key === 'base_only') return 'base only';
  return key.replace(/_/g, ' ');
}

/** A timestep range as evaluate writes it ({ min, max }) or as a pair [lo, hi]. */
function rangeOf(v: Json | undefined): readonly [number, number] | undefined {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number')
    return [v[0], v[1]];
  if (isObject(v)) {
    const lo = numberOr(v['min']);
    const hi = numberOr(v['max']);
    if (lo !== undefined && hi !== undefined) return [lo, hi];
  }
  return undefined;
}

function readBands(v: Json | undefined, keys: readonly string[]): Band[] {
  const bands: Band[] = [];
  if (Array.isArray(v)) {
    for (const b of v) {
      if (!isObject(b)) continue;
      const key =
        typeof b['key'] === 'string' ? b['key'] : typeof b['name'] === 'string' ? b['name'] : undefined;
      if (key === undefined) continue;
      const range = rangeOf(b['range']);
      const label = typeof b['label'] === 'string' ? b['label'] : (BAND_LABELS[key] ?? key);
      bands.push({ key, label, ...(range ? { range } : {}) });
    }
  } else if (isObject(v)) {
    for (const [key, r] of Object.entries(v)) {
      const range = rangeOf(r) ?? (isObject(r) ? rangeOf(r['range']) : undefined);
      bands.push({ key, label: BAND_LABELS[key] ?? key, ...(range ? { range } : {}) });
    }
  }
  const known = [...bands];
  const ranges = known.map((b) => b.range).filter((r): r is readonly [number, number] => r !== undefined);
  for (const k of keys) {
    if (bands.some((b) => b.key === k)) continue;
    const alias = known.find((b) => b.key === RANGE_KEY[k])?.range;
    const full =
      k === 'full' && ranges.length > 0
        ? ([Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))] as const)
        : undefined;
    const range = alias ?? full;
    bands.push({ key: k, label: BAND_LABELS[k] ?? k, ...(range ? { range } : {}) });
  }
  return bands;
}

/** Rows in a fixed order: each expert alone first, the pair last. */
const rank = (tone: string): number => ({ base: 0, refiner: 1, other: 2, pair: 3 })[tone] ?? 2;

export interface EvaluationParts {
  readonly evaluation: Evaluation | undefined;
  readonly adherence: Adherence | undefined;
  readonly timing: Timing | undefined;
  /** Adherence score per compose image file (1: every check holds). */
  readonly imageScores: Map<string, number>;
}

export async function readEvaluation(path: string, notes: Notes): Promise<EvaluationParts> {
  const json = await readJson(path, 'results.json', notes);
  if (!isObject(json)) {
    if (json !== undefined) notes.add('results.json: expected a JSON object');
    return { evaluation: undefined, adherence: undefined, timing: undefined, imageScores: new Map() };
  }
  const lossBlock = json['loss'] ?? json['losses'] ?? json['eval_loss'];
  const rows: EvaluationRow[] = [];
  const bandKeys: string[] = [];
  if (isObject(lossBlock)) {
    for (const [model, perBand] of Object.entries(lossBlock)) {
      if (!isObject(perBand)) continue;
      const values: Record<string, number> = {};
      for (const [band, v] of Object.entries(perBand)) {
        const n = numberOr(v) ?? (isObject(v) ? numberOr(v['loss'] ?? v['mean']) : undefined);
        if (n === undefined) continue;
        values[band] = n;
        if (!bandKeys.includes(band)) bandKeys.push(band);
      }
      rows.push({ label: modelLabel(model), tone: toneOf(model), values });
    }
  } else {
    notes.add('results.json: no `loss` block with losses per model and band');
  }
  rows.sort((a, b) => rank(a.tone) - rank(b.tone));
  const bands = readBands(json['bands'], bandKeys)
    .filter((b) => bandKeys.includes(b.key))
    .sort((a, b) => bandKeys.indexOf(a.key) - bandKeys.indexOf(b.key));
  const extra: Evaluation['extra'][number][] = [];
  const clip = json['clip_score'];
  if (numberOr(clip) !== undefined) extra.push({ label: 'CLIP score', value: clip as number });
  else if (isObject(clip)) {
    for (const [model, v] of Object.entries(clip)) {
      const n = numberOr(v);
      if (n !== undefined) extra.push({ label: `CLIP score, ${modelLabel(model)}`, value: n });
    }
  }
  const metric =
    typeof json['metric'] === 'string' ? json['metric'] : 'evaluation loss (MSE of the prediction target)';
  const curves = readCurves(json, lossBlock, bands);
  const evaluation =
    rows.length > 0 ? { metric, bands, rows, extra, ...(curves ? { curves } : {}) } : undefined;
  const seconds = numberOr(json['elapsed_s']);
  return {
    evaluation,
    adherence: readAdherence(json['adherence'], json['adherence_description']),
    timing: seconds === undefined ? undefined : { label: 'evaluate', seconds },
    imageScores: imageScores(json),
  };
}

function readAdherence(v: Json | undefined, description: Json | undefined): Adherence | undefined {
  if (!isObject(v)) return undefined;
  if (isObject(v['stages']))
    return readStages(v['stages'], typeof v['scorer'] === 'string' ? v['scorer'] : undefined);
  const summaries: AdherenceSummary[] = [];
  for (const [model, s] of Object.entries(v)) {
    const tone = toneOf(model);
    const label = tone === 'base' ? 'base only' : modelLabel(model);
    const score =
      numberOr(s) ?? (isObject(s) ? numberOr(s['score'] ?? s['rate'] ?? s['accuracy']) : undefined);
    if (score === undefined) continue;
    const passed = isObject(s) ? numberOr(s['passed'] ?? s['correct']) : undefined;
    const total = isObject(s) ? numberOr(s['total'] ?? s['count']) : undefined;
    summaries.push({
      label,
      tone,
      score,
      ...(passed !== undefined ? { passed } : {}),
      ...(total !== undefined ? { total } : {}),
    });
  }
  summaries.sort((a, b) => rank(a.tone) - rank(b.tone));
  if (summaries.length === 0) return undefined;
  return {
    description:
      typeof description === 'string'
        ? description
        : 'Share of generated images that show the colour and shape their prompt names (held-out prompts).',
    summaries,
  };
}

/** evaluate's form: per stage, the share of images where every check holds (`adherent`) and the mean score. */
function readStages(
  stages: Readonly<Record<string, Json>>,
  scorer: string | undefined,
): Adherence | undefined {
  const summaries: AdherenceSummary[] = [];
  const means: string[] = [];
  for (const [stage, s] of Object.entries(stages)) {
    if (!isObject(s)) continue;
    const score = numberOr(s['adherent']);
    const total = numberOr(s['images']);
    if (score === undefined) continue;
    const tone = toneOf(stage);
    const label = tone === 'base' ? 'base only' : modelLabel(stage);
    summaries.push({
      label,
      tone,
      score,
      ...(total !== undefined ? { total, passed: Math.round(score * total) } : {}),
    });
    const mean = numberOr(s['mean']);
    if (mean !== undefined) means.push(`${label} ${mean.toFixed(2)}`);
  }
  summaries.sort((a, b) => rank(a.tone) - rank(b.tone));
  if (summaries.length === 0) return undefined;
  return {
    description:
      'Share of the generated images in which every check of the scorer holds' +
      (scorer === undefined ? '' : ` (${scorer})`) +
      (means.length ? `; mean score ${means.join(', ')}.` : '.'),
    summaries,
  };
}

/** Per-image adherence scores (evaluate's `adherence.images`), by stage and file, for the sample grid. */
export function imageScores(results: Json | undefined): Map<string, number> {
  const out = new Map<string, number>();
  const adh = isObject(results) ? results['adherence'] : undefined;
  const images = isObject(adh) ? adh['images'] : undefined;
  if (!Array.isArray(images)) return out;
  for (const i of images) {
    if (!isObject(i) || typeof i['file'] !== 'string') continue;
    const score = numberOr(i['score']);
    if (score !== undefined) out.set(i['file'], score);
  }
  return out;
}

/** evaluate's `timesteps` with each model's `per_timestep` losses (same order), for the loss-per-timestep chart. */
function readCurves(
  json: Readonly<Record<string, Json>>,
  lossBlock: Json | undefined,
  bands: readonly Band[],
): TimestepCurves | undefined {
  const ts = json['timesteps'];
  if (!Array.isArray(ts) || !ts.every((t) => typeof t === 'number') || !isObject(lossBlock)) return undefined;
  const timesteps = ts as readonly number[];
  const series: TimestepCurves['series'][number][] = [];
  for (const [model, perBand] of Object.entries(lossBlock)) {
    const per = isObject(perBand) ? perBand['per_timestep'] : undefined;
    if (!Array.isArray(per) || per.length !== timesteps.length) continue;
    series.push({
      label: modelLabel(model),
      tone: toneOf(model),
      values: per.map((v) => (typeof v === 'number' ? v : Number.NaN)),
    });
  }
  series.sort((a, b) => rank(a.tone) - rank(b.tone));
  if (series.length === 0) return undefined;
  const cutoff = bands.find((b) => b.key === 'base_band' || b.key === 'base')?.range?.[0];
  return { timesteps, series, ...(cutoff !== undefined ? { cutoff } : {}) };
}
