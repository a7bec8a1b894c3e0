// A loss curve as inline SVG: the raw per-step loss as a faint line, the smoothed loss bold on top, round
// ticks on both axes. Drawn at a fixed viewBox and scaled by CSS, so it stays sharp at any width.
import { esc } from './escape.js';
import { niceTicks, num } from './format.js';
import type { ExpertLosses, LossPoint } from './model.js';
import { downsample, smooth, smoothingFor } from './series.js';

const W = 520;
const H = 260;
const M = { top: 16, right: 16, bottom: 40, left: 56 };
const MAX_POINTS = 600;

function path(points: readonly LossPoint[], x: (v: number) => number, y: (v: number) => number): string {
  return points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`)
    .join('');
}

/** The chart for one expert; `title` becomes the SVG's accessible name. */
export function lossChart(expert: ExpertLosses): string {
  const finite = expert.points.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.step));
  const label = `Training loss of ${expert.name}`;
  if (finite.length === 0) {
    return `<p class="empty">No loss values recorded for ${esc(expert.name)}.</p>`;
  }
  const raw = downsample(finite, MAX_POINTS);
  const smoothed = downsample(smooth(finite, smoothingFor(finite.length)), MAX_POINTS);
  const steps = finite.map((p) => p.step);
  const losses = finite.map((p) => p.loss);
  // The x axis ends at the last step (no empty stretch after it); its ticks are the round ones inside.
  const lastStep = Math.max(...steps, 1);
  const xt = { lo: 0, hi: lastStep, ticks: niceTicks(0, lastStep, 5).ticks.filter((t) => t <= lastStep) };
  const yt = niceTicks(Math.min(...losses), Math.max(...losses), 4);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number => M.left + ((v - xt.lo) / (xt.hi - xt.lo)) * pw;
  const y = (v: number): number => M.top + ph - ((v - yt.lo) / (yt.hi - yt.lo)) * ph;
  const grid = yt.ticks
    .map(
      (t) =>
        `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>` +
        `<text class="tick" x="${M.left - 8}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${esc(num(t, 3))}</text>`,
    )
    .join('');
  const xticks = xt.ticks
    .map(
      (t) =>
        `<line class="axis" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${M.top + ph}" y2="${M.top + ph + 5}"/>` +
        `<text class="tick" x="${x(t).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${esc(num(t, 6))}</text>`,
    )
    .join('');
  return (
    `<svg class="chart tone-${expert.tone}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}">` +
    `<title>${esc(label)}</title>` +
    grid +
    `<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}"/>` +
    xticks +
    `<text class="axis-label" x="${M.left + pw / 2}" y="${H - 4}" text-anchor="middle">optimizer step</text>` +
    `<path class="raw" d="${path(raw, x, y)}"/>` +
    `<path class="smooth" d="${path(smoothed, x, y)}"/>` +
    `</svg>`
  );
}
