// `moe compare --html FILE`: the comparison as one self-contained page. Gathers what the page shows from
// the variants' committed outputs (compose.inference's index and images, each variant's report) and
// writes the file atomically.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CompareChart, CompareSampleRow, ComparePageData } from '../html/compare.js';
import { renderComparePage } from '../html/compare.js';
import { removeQuietly } from '../util/remove-quietly.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { Comparison, ComparedVariant } from './compare.js';

/** Rows of the side-by-side sample grid at most. */
const SAMPLE_ROWS = 8;

export async function writeComparePage(c: Comparison, file: string): Promise<Result<undefined, string>> {
  const { otherMetrics } = await import('../cli/render/compare.js');
  const data: ComparePageData = {
    // The subtitle under it counts the variants and names the swept parameters.
    title: `${c.pipeline}: sweep comparison`,
    axes: c.axes,
    objective: c.objective,
    best: c.best,
    variants: c.variants.map((v) => {
      const report = Object.entries(v.outputs).find(([k]) => k.endsWith('.html'))?.[1];
      return {
        label: v.label,
        params: v.params,
        metrics: v.metrics,
        ...(report !== undefined ? { report: linkTo(report) } : {}),
        ...(v.missing.length > 0 ? { missing: v.missing } : {}),
        ...(v.failed !== undefined ? { failed: v.failed } : {}),
      };
    }),
    metrics: otherMetrics(c),
    charts: charts(c),
    samples: sampleRows(c.variants),
  };
  if (isFolder(file))
    return err(`cannot write ${file}: it is a folder; give a file name, e.g. ${join(file, 'sweep.html')}`);
  if (!isFolder(dirname(resolve(file))))
    return err(
      `cannot write ${file}: the folder ${dirname(resolve(file))} does not exist; create it, or give a path in an existing folder`,
    );
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, renderComparePage(data));
    renameSync(tmp, file);
    return ok(undefined);
  } catch (e) {
    removeQuietly(tmp);
    return err(`cannot write ${file}: ${(e as Error).message}`);
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A file URL: the page links to the variant's report where the store keeps it. */
function linkTo(target: string): string {
  return pathToFileURL(target).href;
}

/**
 * For each numeric swept parameter: first the evaluation losses together (the composed pair and each
 * expert alone over the full range), the winner's value marked as the best hand-off; then every other
 * metric on its own chart. With several swept parameters, a series per value of the others.
 */
function charts(c: Comparison): CompareChart[] {
  const out: CompareChart[] = [];
  const metrics = [...new Set(c.variants.flatMap((v) => Object.keys(v.metrics)))].filter(
    (m) => !c.shared.includes(m.split('.')[0] ?? ''),
  );
  const best = c.best === null ? undefined : c.variants[c.best];
  for (const param of c.axes) {
    if (!c.variants.every((v) => v.params[param] === undefined || typeof v.params[param] === 'number'))
      continue;
    const bestX = best?.params[param];
    const mark =
      typeof bestX === 'number'
        ? { x: bestX, label: param === 'strength' ? `best hand-off (${bestX})` : `best (${bestX})` }
        : undefined;
    const together = metrics.filter((m) => /\.loss\.(composed|base|refiner)\.full$/.test(m)).sort(byModel);
    if (together.length > 1) {
      out.push({
        title: `Evaluation loss over the full range against ${param}: the composed pair and each expert alone`,
        param,
        series: together.flatMap((m) => seriesOf(c, param, m, label(m))),
        ...(mark ? { mark } : {}),
      });
    }
    for (const m of metrics) {
      out.push({
        title: `${m} against ${param}`,
        param,
        series: seriesOf(c, param, m, m),
        ...(mark ? { mark } : {}),
      });
    }
  }
  return out;
}

function byModel(a: string, b: string): number {
  const rank = (m: string) => ['composed', 'base', 'refiner'].findIndex((k) => m.includes(`.loss.${k}.`));
  return rank(a) - rank(b);
}

function label(metric: string): string {
  const model = /\.loss\.(\w+)\.full$/.exec(metric)?.[1] ?? metric;
  return model === 'composed' ? 'composed pair' : `${model} alone`;
}

/** One series per assignment of the other swept parameters. */
function seriesOf(c: Comparison, param: string, metric: string, name: string) {
  const groups = new Map<string, { x: number; y: number }[]>();
  for (const v of c.variants) {
    const x = v.params[param];
    const y = v.metrics[metric];
    if (typeof x !== 'number' || y === undefined) continue;
    const rest = c.axes
      .filter((a) => a !== param && v.params[a] !== undefined)
      .map((a) => `${a}=${String(v.params[a])}`)
      .join(',');
    groups.set(rest, [...(groups.get(rest) ?? []), { x, y }]);
  }
  return [...groups].map(([rest, points]) => ({ name: rest === '' ? name : `${name} (${rest})`, points }));
}

interface IndexImage {
  readonly prompt: string;
  readonly seed: number;
  readonly stage: string;
  readonly file: string;
}

/** The composed images of each variant (compose.inference's index), matched by prompt and seed. */
function sampleRows(variants: readonly ComparedVariant[]): CompareSampleRow[] {
  const perVariant = variants.map((v) => imagesOf(v));
  const first = perVariant.find((m) => m.size > 0);
  if (first === undefined) return [];
  const rows: CompareSampleRow[] = [];
  for (const [key, img] of first) {
    if (rows.length >= SAMPLE_ROWS) break;
    rows.push({
      prompt: img.prompt,
      seed: img.seed,
      cells: variants.map((v, i) => {
        const path = perVariant[i]?.get(key)?.path;
        const src = path === undefined ? undefined : dataUri(path);
        return { variant: v.label, ...(src !== undefined ? { src } : {}) };
      }),
    });
  }
  return rows;
}

function imagesOf(v: ComparedVariant): Map<string, IndexImage & { path: string }> {
  const out = new Map<string, IndexImage & { path: string }>();
  for (const [key, path] of Object.entries(v.outputs)) {
    if (!key.endsWith('.index')) continue;
    const images = v.outputs[`${key.slice(0, -'.index'.length)}.images`];
    if (images === undefined) continue;
    try {
      const index = JSON.parse(readFileSync(path, 'utf8')) as { images?: IndexImage[] };
      for (const img of index.images ?? []) {
        if (img.stage !== 'composed') continue;
        out.set(`${img.prompt}\0${img.seed}`, { ...img, path: join(images, img.file) });
      }
    } catch {
      // Not a compose index: another step's `index` output.
    }
  }
  return out;
}

function dataUri(path: string): string | undefined {
  try {
    return `data:image/png;base64,${readFileSync(path).toString('base64')}`;
  } catch {
    return undefined;
  }
}
