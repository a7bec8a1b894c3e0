// Small text helpers shared by the renderers.

/** 850 ms → `0.9s`, 62 s → `1m02s`, 2 h 5 m → `2h05m`. */
export function duration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The last second `clockTime` wrote, and its text. */
let lastSecond = Number.NaN;
let lastText = '';

/** `12:03:09` in local time: the prefix of plain (non-TTY) output lines. */
export function clockTime(time: number): string {
  // Events come many a second (two per node of a run): the text is made once per second.
  const second = Math.floor(time / 1000);
  if (second === lastSecond) return lastText;
  const d = new Date(time);
  lastText = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  lastSecond = second;
  return lastText;
}

export interface Colors {
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

const wrap =
  (open: number, close: number) =>
  (s: string): string =>
    `\x1b[${open}m${s}\x1b[${close}m`;

export function colors(enabled: boolean): Colors {
  if (!enabled) {
    const id = (s: string): string => s;
    return { green: id, red: id, yellow: id, dim: id, bold: id };
  }
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

/** Whether to colour a stream: a TTY, unless NO_COLOR is set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && process.env['NO_COLOR'] === undefined;
}
