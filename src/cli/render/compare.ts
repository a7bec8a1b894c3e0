// `moe compare`'s table: one row per variant, best first, the winner marked; the swept values, the
// objective, then the other metrics of the variant's own nodes (all of them in --json and --html).
import type { Comparison } from '../../app/compare.js';
import { didYouMean } from '../../pipeline/suggest.js';
import { colors } from './format.js';

/** How many metrics besides the objective fit the table; --json and --html have them all. */
const SHOWN = 6;

export function renderComparison(c: Comparison, color: boolean): string {
  const k = colors(color);
  const others = otherMetrics(c);
  const shown = others.slice(0, SHOWN);
  const head = [
    '',
    ...c.axes,
    ...(c.objective ? [`${c.objective.metric} (${c.objective.goal})`] : []),
    ...shown,
  ];
  const rows = c.variants.map((v, i) => [
    i === c.best ? '★' : '',
    ...c.axes.map((a) => (v.params[a] === undefined ? '–' : String(v.params[a]))),
    ...(c.objective ? [fmt(v.metrics[c.objective.metric])] : []),
    ...shown.map((m) => fmt(v.metrics[m])),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, j) => cell.padEnd(widths[j] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [
    `${k.bold(c.pipeline)}: ${c.variants.length} variants of ${c.axes.join(', ')}`,
    k.dim(line(head)),
  ];
  rows.forEach((r, i) => out.push(i === c.best ? k.green(line(r)) : line(r)));
  if (others.length > shown.length)
    out.push(k.dim(`(${others.length - shown.length} more metrics in --json)`));
  const unfinished = c.variants.filter((v) => v.missing.length > 0);
  for (const v of unfinished)
    out.push(
      k.yellow(
        v.failed !== undefined && v.failed.length > 0
          ? `${v.label}: failed in the last run of the sweep: ${v.failed.map((f) => `${f.node}: ${f.error}${f.logFile ? ` (log: ${f.logFile})` : ''}`).join('; ')}; fix it, then run the sweep again`
          : `${v.label}: not finished (${v.missing.join(', ')}); run the sweep again to finish it`,
      ),
    );
  if (c.objective === null) out.push(k.dim('no objective: in the pipeline, so no variant is ranked'));
  else if (c.best !== null) {
    const best = c.variants[c.best];
    if (best)
      out.push(`best: ${best.label} (${c.objective.metric} ${fmt(best.metrics[c.objective.metric])})`);
  } else if (unfinished.length > 0) out.push(k.yellow(`no variant has ${c.objective.metric} yet`));
  else out.push(k.yellow(unreported(c, c.objective.metric)));
  return `${out.join('\n')}\n`;
}

/** Every variant finished and none has the objective's metric: a misspelt name, most likely. */
function unreported(c: Comparison, metric: string): string {
  const node = metric.split('.')[0] ?? '';
  const reported = [...new Set(c.variants.flatMap((v) => Object.keys(v.metrics)))].filter((m) =>
    m.startsWith(`${node}.`),
  );
  const hint =
    didYouMean(metric, reported) ??
    (reported.length > 0 ? `it reports ${reported.join(', ')}` : `\`${node}\` reports no metrics`);
  return `every variant finished, but none reports ${metric}: ${hint} (objective: in the pipeline)`;
}

/** The metrics of the variants' own nodes (not the shared ones), the objective's node first. */
export function otherMetrics(c: Comparison): string[] {
  const shared = new Set(c.shared);
  const keys = new Set<string>();
  for (const v of c.variants) for (const m of Object.keys(v.metrics)) keys.add(m);
  const objectiveNode = c.objective?.metric.split('.')[0];
  const list = [...keys].filter((m) => m !== c.objective?.metric && !shared.has(m.split('.')[0] ?? ''));
  const first = list.filter((m) => m.split('.')[0] === objectiveNode);
  return [...first, ...list.filter((m) => m.split('.')[0] !== objectiveNode)];
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '–';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.001 ? v.toExponential(3) : v.toPrecision(4);
}
