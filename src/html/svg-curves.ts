// Evaluation loss against the timestep, one line per model, with the hand-off between the experts marked:
// the picture of why the split pays (each expert is best on its own side of the line).
import { esc } from './escape.js';
import { niceTicks, num } from './format.js';
import type { TimestepCurves } from './model.js';

const W = 720;
const H = 280;
const M = { top: 48, right: 16, bottom: 40, left: 56 };

/** `noise`: the schedule's pure-noise timestep (the evaluated timesteps may stop short of it). */
export function timestepChart(c: TimestepCurves, noise?: number): string {
  const order = c.timesteps.map((t, i) => [t, i] as const).sort((a, b) => a[0] - b[0]);
  const values = c.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  if (order.length < 2 || values.length === 0) return '';
  const tMax = Math.max(...c.timesteps, noise ?? Number.NEGATIVE_INFINITY);
  const xt = niceTicks(0, tMax, 5);
  const yt = niceTicks(0, Math.max(...values), 4);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (t: number): number => M.left + (t / xt.hi) * pw;
  const y = (v: number): number => M.top + ph - (v / yt.hi) * ph;
  const parts: string[] = [];
  for (const t of yt.ticks) {
    parts.push(
      `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>`,
      `<text class="tick" x="${M.left - 8}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${esc(num(t, 3))}</text>`,
    );
  }
  for (const t of xt.ticks) {
    parts.push(
      `<text class="tick" x="${x(t).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${esc(num(t))}</text>`,
    );
  }
  if (c.cutoff !== undefined) {
    const cx = x(c.cutoff).toFixed(1);
    parts.push(
      `<line class="cutoff" x1="${cx}" x2="${cx}" y1="${M.top - 8}" y2="${M.top + ph}"/>`,
      `<text class="band" x="${(x(c.cutoff) - 6).toFixed(1)}" y="${M.top - 10}" text-anchor="end">← refiner</text>`,
      `<text class="band" x="${(x(c.cutoff) + 6).toFixed(1)}" y="${M.top - 10}">base →</text>`,
    );
  }
  for (const s of c.series) {
    const pts = order
      .map(([t, i]) => [t, s.values[i]] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]));
    const d = pts.map(([t, v], k) => `${k === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    parts.push(`<path class="curve tone-${s.tone}" d="${d}"><title>${esc(s.label)}</title></path>`);
  }
  const legend = c.series
    .map(
      (s, i) =>
        `<rect class="bar tone-${s.tone}" x="${M.left + i * 150}" y="6" width="10" height="10"/>` +
        `<text class="band" x="${M.left + 16 + i * 150}" y="15">${esc(s.label)}</text>`,
    )
    .join('');
  const label = 'Evaluation loss per timestep';
  return (
    `<svg class="chart bars" viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}"><title>${label}</title>` +
    parts.join('') +
    `<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}"/>` +
    `<text class="axis-label" x="${M.left + pw / 2}" y="${H - 4}" text-anchor="middle">timestep (0 = clean, ${esc(num(tMax))} = pure noise)</text>` +
    legend +
    `</svg>`
  );
}
