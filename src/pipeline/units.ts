// Durations (`90s`, `2h`, `1h30m`) and memory sizes (`512MB`, `4GB`, `2GiB`) as users write them.
// The schema has already checked the shape; these turn the text into numbers.

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g))
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
  return Math.round(total);
}

/** Milliseconds as a user would write them: 500 → `500ms`, 90000 → `1m30s`, 7200000 → `2h`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s % 60) ? `${Math.round(s % 60)}s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
}

const MEMORY_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/** Bytes, or undefined when the text is not a memory size. Decimal units are powers of 1000, `iB` of 1024. */
export function parseMemory(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B|B)$/.exec(text);
  if (m === null) return undefined;
  return Math.round(Number(m[1]) * (MEMORY_UNITS[m[2] ?? ''] ?? 0));
}
