// The page `moe compare --html` writes: the variants of a sweep in one table (the winner marked), a chart
// of each metric against each swept parameter, the same prompt and seed side by side across variants, and
// links to each variant's own report. One self-contained file: styles inline, images as data URIs.
import { esc } from './escape.js';
import { niceTicks, num } from './format.js';
import { STYLE } from './style.js';

export interface ComparePoint {
  readonly x: number;
  readonly y: number;
}

export interface CompareSeries {
  readonly name: string;
  readonly points: readonly ComparePoint[];
}

export interface CompareChart {
  readonly title: string;
  /** The swept parameter on the x axis. */
  readonly param: string;
  readonly series: readonly CompareSeries[];
  /** A value of the parameter to mark (the winner's: where the best hand-off is). */
  readonly mark?: { readonly x: number; readonly label: string };
}

export interface CompareCell {
  readonly variant: string;
  /** A data URI, or undefined when the variant has no such image. */
  readonly src?: string;
}

export interface CompareSampleRow {
  readonly prompt: string;
  readonly seed: number;
  readonly cells: readonly CompareCell[];
}

export interface ComparePageData {
  readonly title: string;
  readonly axes: readonly string[];
  readonly objective: { readonly metric: string; readonly goal: 'min' | 'max' } | null;
  readonly best: number | null;
  readonly variants: readonly {
    readonly label: string;
    readonly params: Readonly<Record<string, string | number | boolean>>;
    readonly metrics: Readonly<Record<string, number>>;
    /** A link to the variant's own report, when it has one. */
    readonly report?: string;
    /** The variant's nodes that have no committed result yet (it has not finished). */
    readonly missing?: readonly string[];
    /** Of those, the ones that failed in the sweep's last run, with the error. */
    readonly failed?: readonly { readonly node: string; readonly error: string }[];
  }[];
  /** Metric columns after the objective, in order. */
  readonly metrics: readonly string[];
  readonly charts: readonly CompareChart[];
  readonly samples: readonly CompareSampleRow[];
}

const PAGE_STYLE = `
table.compare td, table.compare th { padding: 4px 10px; text-align: right; white-space: nowrap; }
table.compare th:first-child, table.compare td:first-child { text-align: left; }
table.compare tr.best { background: #e7f5ec; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 16px; }
.charts figure { margin: 0; background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.charts svg { width: 100%; height: auto; }
.samples td { text-align: center; vertical-align: top; padding: 4px; }
.samples img { width: 96px; height: 96px; image-rendering: pixelated; border-radius: 4px; }
.scroll { overflow-x: auto; }
`;

const COLOURS = ['var(--pair)', 'var(--base)', 'var(--refiner)', 'var(--other)', '#8e44ad', '#16a085'];

export function renderComparePage(d: ComparePageData): string {
  const best = d.best === null ? undefined : d.variants[d.best];
  const verdict =
    d.objective === null
      ? 'The pipeline declares no <code>objective:</code>, so the variants are not ranked.'
      : best === undefined
        ? `No variant has <code>${esc(d.objective.metric)}</code> yet.`
        : `Best: <strong id="winner">${esc(best.label)}</strong> by <code>${esc(d.objective.metric)}</code> (${d.objective.goal === 'min' ? 'lower' : 'higher'} is better): ${esc(fmt(best.metrics[d.objective.metric]))}.`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${esc(d.title)}</title><style>${STYLE}${PAGE_STYLE}</style></head>
<body><main>
<header><h1>${esc(d.title)}</h1><p class="subtitle">${d.variants.length} variants of ${esc(d.axes.join(', '))}</p></header>
<section id="verdict"><p>${verdict}</p>${unfinished(d)}</section>
<section id="table"><h2>Variants</h2><div class="scroll">${table(d)}</div></section>
${charts(d)}
${samples(d)}
</main></body></html>
`;
}

/** The variants that have not finished, each named with its missing nodes (as `moe compare` prints them). */
function unfinished(d: ComparePageData): string {
  const lines = d.variants
    .filter((v) => (v.missing ?? []).length > 0)
    .map((v) => {
      const text =
        v.failed !== undefined && v.failed.length > 0
          ? `${v.label} failed in the last run of the sweep: ${v.failed.map((f) => `${f.node}: ${f.error}`).join('; ')}; fix it, then run the sweep again.`
          : `${v.label} has not finished (${(v.missing ?? []).join(', ')}); run the sweep again to finish it.`;
      return `<p class="unfinished">${esc(text)}</p>`;
    });
  return lines.join('');
}

function table(d: ComparePageData): string {
  const objective = d.objective === null ? [] : [d.objective.metric];
  const head = ['', ...d.axes, ...objective, ...d.metrics, 'report'];
  const rows = d.variants.map((v, i) => {
    const cells = [
      i === d.best ? '★' : '',
      ...d.axes.map((a) => esc(v.params[a] === undefined ? '–' : String(v.params[a]))),
      ...[...objective, ...d.metrics].map((m) => esc(fmt(v.metrics[m]))),
      v.report === undefined ? '–' : `<a href="${esc(v.report)}">report</a>`,
    ];
    return `<tr${i === d.best ? ' class="best"' : ''} data-variant="${esc(v.label)}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  return `<table class="compare"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const W = 360;
const H = 220;
const M = { top: 14, right: 14, bottom: 36, left: 58 };

/** A line chart of one or more series against a swept parameter, with the marked value as a dashed line. */
export function chart(c: CompareChart): string {
  const pts = c.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (pts.length === 0) return '';
  const xs = niceTicks(Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x)), 4);
  const ys = niceTicks(Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y)), 4);
  const x = (v: number) => M.left + ((v - xs.lo) / (xs.hi - xs.lo)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - ((v - ys.lo) / (ys.hi - ys.lo)) * (H - M.top - M.bottom);
  const axes = [
    ...xs.ticks.map(
      (t) =>
        `<text x="${x(t).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${esc(String(t))}</text>`,
    ),
    ...ys.ticks.map(
      (t) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="var(--line)"/><text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${esc(num(t, 6))}</text>`,
    ),
    `<text x="${(W + M.left) / 2}" y="${H - 4}" text-anchor="middle" font-size="12">${esc(c.param)}</text>`,
  ];
  const lines = c.series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length] ?? 'black';
    const sorted = [...s.points].filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    const d = sorted
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`)
      .join('');
    const dots = sorted
      .map((p) => `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${colour}"/>`)
      .join('');
    return `<g class="series" data-series="${esc(s.name)}"><path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>${dots}</g>`;
  });
  const mark =
    c.mark === undefined
      ? ''
      : `<g class="mark"><line x1="${x(c.mark.x).toFixed(1)}" x2="${x(c.mark.x).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="var(--ink)" stroke-dasharray="4 3"/>${markLabel(c.mark.label, x(c.mark.x))}</g>`;
  const legend = c.series
    .map((s, i) => `<span style="color:${COLOURS[i % COLOURS.length] ?? 'black'}">■</span> ${esc(s.name)}`)
    .join(' &nbsp; ');
  return `<figure data-param="${esc(c.param)}"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(c.title)}">${axes.join('')}${lines.join('')}${mark}</svg><figcaption>${esc(c.title)}<br>${legend}</figcaption></figure>`;
}

/** The charts section, left out when no chart has a point (a sweep of strings has nothing to plot against). */
function charts(d: ComparePageData): string {
  const drawn = d.charts.map(chart).filter((c) => c !== '');
  if (drawn.length === 0) return '';
  const winner =
    d.best === null || d.objective === null
      ? ''
      : ` The dashed line marks the best variant by <code>${esc(d.objective.metric)}</code>.`;
  const lede = `<p class="lede">Each metric of the variants' nodes (<code>node.metric</code>) against the swept value, one point per variant.${winner}</p>`;
  return `<section id="charts"><h2>Metrics against the swept values</h2>${lede}<div class="charts">${drawn.join('\n')}</div></section>`;
}

function samples(d: ComparePageData): string {
  if (d.samples.length === 0) return '';
  const head = `<tr><th>prompt, seed</th>${d.variants.map((v) => `<th>${esc(v.label)}</th>`).join('')}</tr>`;
  const rows = d.samples.map(
    (r) =>
      `<tr><td>${esc(r.prompt)}<br>seed ${r.seed}</td>${r.cells
        .map((c) =>
          c.src === undefined
            ? '<td>–</td>'
            : `<td><img src="${esc(c.src)}" alt="${esc(`${r.prompt}, seed ${r.seed}, ${c.variant}`)}"></td>`,
        )
        .join('')}</tr>`,
  );
  const lede =
    '<p class="lede">Each variant\'s composed image (the base down to the hand-off, then the refiner) for the same prompt and seed, so from the same initial noise; the variants in the order of the table.</p>';
  return `<section id="samples"><h2>The same prompt and seed in every variant</h2>${lede}<div class="scroll"><table class="samples">${head}${rows.join('')}</table></div></section>`;
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '–';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toExponential(3) : v.toPrecision(4);
}

/** Width of a label at font-size 11, generously: 0.62 em per character (digits and most letters are narrower). */
const labelWidth = (text: string): number => text.length * 11 * 0.62;

/**
 * The marked value's label beside its line: to the right of it where it fits inside the chart, else to the
 * left (a winner at the largest swept value), else as far right as the chart allows.
 */
function markLabel(label: string, at: number): string {
  const w = labelWidth(label);
  const pad = 4;
  const [x, anchor] =
    at + pad + w <= W - pad
      ? [at + pad, 'start']
      : at - pad - w >= pad
        ? [at - pad, 'end']
        : [Math.max(pad, W - pad - w), 'start'];
  // A halo in the figure's colour keeps the label readable where a curve or a point passes under it.
  return `<text x="${x.toFixed(1)}" y="${M.top + 10}" font-size="11" text-anchor="${anchor}" paint-order="stroke" stroke="var(--paper)" stroke-width="3" stroke-linejoin="round">${esc(label)}</text>`;
}
