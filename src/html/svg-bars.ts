// The evaluation chart as inline SVG: one group of bars per timestep band, one bar per expert or pair,
// the value written above each bar and the best (lowest) bar of each band marked.
import { esc } from './escape.js';
import { niceTicks, num } from './format.js';
import type { Evaluation } from './model.js';

const W = 720;
const H = 280;
const M = { top: 20, right: 16, bottom: 52, left: 56 };

export function evaluationChart(ev: Evaluation): string {
  const values = ev.rows
    .flatMap((r) => ev.bands.map((b) => r.values[b.key]))
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (values.length === 0 || ev.rows.length === 0) return '';
  const yt = niceTicks(0, Math.max(...values), 4);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const y = (v: number): number => M.top + ph - (v / yt.hi) * ph;
  const groupW = pw / ev.bands.length;
  const barW = Math.min(56, (groupW * 0.75) / ev.rows.length);
  const parts: string[] = [];
  for (const t of yt.ticks) {
    parts.push(
      `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/>`,
      `<text class="tick" x="${M.left - 8}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${esc(num(t, 3))}</text>`,
    );
  }
  ev.bands.forEach((band, g) => {
    const present = ev.rows.map((r) => r.values[band.key]).filter((v): v is number => v !== undefined);
    const best = Math.min(...present);
    const x0 = M.left + g * groupW + (groupW - barW * ev.rows.length) / 2;
    ev.rows.forEach((row, i) => {
      const v = row.values[band.key];
      if (v === undefined || !Number.isFinite(v)) return;
      const bx = x0 + i * barW;
      const top = y(Math.max(0, v));
      const mark = v === best && present.length > 1 ? ' best' : '';
      parts.push(
        `<rect class="bar tone-${row.tone}${mark}" x="${(bx + 2).toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(M.top + ph - top).toFixed(1)}">` +
          `<title>${esc(`${row.label}, ${band.label}: ${num(v)}`)}</title></rect>`,
        `<text class="value${mark}" x="${(bx + barW / 2).toFixed(1)}" y="${(top - 5).toFixed(1)}" text-anchor="middle">${esc(num(v, 3))}</text>`,
      );
    });
    const cx = M.left + g * groupW + groupW / 2;
    const range = band.range ? `t ${num(band.range[0], 6)}–${num(band.range[1], 6)}` : '';
    parts.push(
      `<text class="band" x="${cx.toFixed(1)}" y="${M.top + ph + 20}" text-anchor="middle">${esc(band.label)}</text>`,
      `<text class="tick" x="${cx.toFixed(1)}" y="${M.top + ph + 36}" text-anchor="middle">${esc(range)}</text>`,
    );
  });
  const label = `${ev.metric} per timestep band`;
  return (
    `<svg class="chart bars" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>` +
    parts.join('') +
    `<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}"/>` +
    `</svg>`
  );
}
