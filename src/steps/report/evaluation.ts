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
  readonly timing: Timing | undefined;
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
    return readStages(v['stages'], typeof v['scorer'] === 'string' ? v['scorer'] : undefined, v['checks']);
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

/**
 * evaluate's form: per stage, the share of images where every check holds (`adherent`, the headline),
 * how many (`adherent_images` of `images`), the share per check (`checks`) and the mean score.
 */
function readStages(
  stages: Readonly<Record<string, Json>>,
  scorer: string | undefined,
  checkKeys: Json | undefined,
): Adherence | undefined {
  const summaries: AdherenceSummary[] = [];
  const keys: string[] = Array.isArray(checkKeys)
    ? checkKeys.filter((k): k is string => typeof k === 'string')
    : [];
  for (const [stage, s] of Object.entries(stages)) {
    if (!isObject(s)) continue;
    const score = numberOr(s['adherent']);
    const total = numberOr(s['images']);
    if (score === undefined) continue;
    const passed =
      numberOr(s['adherent_images']) ?? (total === undefined ? undefined : Math.round(score * total));
    const mean = numberOr(s['mean']);
    const checks: Record<string, number> = {};
    if (isObject(s['checks'])) {
      for (const [k, v] of Object.entries(s['checks'])) {
        const rate = numberOr(v);
        if (rate === undefined) continue;
        checks[k] = rate;
        if (!keys.includes(k)) keys.push(k);
      }
    }
    const tone = toneOf(stage);
    summaries.push({
      label: tone === 'base' ? 'base only' : modelLabel(stage),
      tone,
      score,
      ...(total !== undefined ? { total } : {}),
      ...(passed !== undefined ? { passed } : {}),
      ...(mean !== undefined ? { mean } : {}),
      ...(Object.keys(checks).length ? { checks } : {}),
    });
  }
  summaries.sort((a, b) => rank(a.tone) - rank(b.tone));
  if (summaries.length === 0) return undefined;
  keys.sort(byCheckOrder);
  const named = keys.map(checkLabel);
  return {
    description:
      'An image counts only when every check of the scorer holds' +
      (named.length ? ` (${named.join(', ')})` : '') +
      '; held-out prompts' +
      (scorer === undefined ? '.' : `, scored by ${scorerName(scorer)}.`) +
      ' The mean score gives partial credit: ⅔ when two of three checks hold.',
    ...(keys.length ? { checks: keys.map((key) => ({ key, label: checkLabel(key) })) } : {}),
    summaries,
  };
}

/** Per-image verdicts (evaluate's `adherence.images`), by file, for the sample grid. */
export function imageScores(results: Json | undefined): Map<string, ImageVerdict> {
  const out = new Map<string, ImageVerdict>();
  const adh = isObject(results) ? results['adherence'] : undefined;
  const images = isObject(adh) ? adh['images'] : undefined;
  if (!Array.isArray(images)) return out;
  for (const i of images) {
    if (!isObject(i) || typeof i['file'] !== 'string') continue;
    const score = numberOr(i['score']);
    if (score === undefined) continue;
    const given = i['checks'];
    const checks = isObject(given)
      ? Object.entries(given)
          .filter((e): e is [string, boolean] => typeof e[1] === 'boolean')
          .map(([key, held]) => ({ key, held }))
      : [];
    const adherent = i['adherent'];
    const seen = seenPhrase(i['seen']);
    out.set(i['file'], {
      score,
      checks: checks.sort((a, b) => byCheckOrder(a.key, b.key)),
      ...(typeof adherent === 'boolean' ? { adherent } : {}),
      ...(seen ? { seen } : {}),
    });
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
