// Numbers as people read them: a few significant digits, durations in s/min/h, "nice" axis ticks.
import type { Scalar } from './model.js';

/** A number with `digits` significant digits, no exponent for everyday magnitudes, − for minus. */
export function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? '—' : x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  let s: string;
  if (Number.isInteger(x) && a < 1e9) s = String(a);
  else if (a >= 1e-3 && a < 1e6) s = String(Number(a.toPrecision(digits)));
  else s = a.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, 'e');
  return (x < 0 ? '−' : '') + s;
}

/** 0.8125 → "81%"; `digits` decimals. */
export function pct(x: number, digits = 0): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** Seconds as "0.42 s", "12.3 s", "4 min 05 s", "1 h 02 min". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${String(Math.round(seconds - m * 60)).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m - h * 60).padStart(2, '0')} min`;
}

/** A settings value as text. */
export function scalar(v: Scalar): string {
  if (v === null) return '—';
  if (typeof v === 'number') return num(v, 6);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return v;
}

/**
 * Axis ticks: about `count` round values (1, 2 or 5 × 10^k apart) covering [lo, hi], and the extended
 * bounds they span.
 */
export function niceTicks(lo: number, hi: number, count = 5): { ticks: number[]; lo: number; hi: number } {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - pad, lo + pad, count);
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = start; v <= end + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(12)));
  return { ticks, lo: start, hi: end };
}
