// Where each character of a quoted YAML scalar's value sits in its source text, so that a range inside
// the value (an expression's) can point at the exact columns even when escapes (`\"`, `''`, `\u00e9`)
// make the written text longer than the value.

/** Source characters each escape of a double-quoted scalar takes, after the backslash. */
const ESCAPE_DIGITS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/**
 * The offset in `raw` (a scalar as written, quotes included) of each UTF-16 unit of `value`, and one more
 * for its end; undefined unless `raw` is a one-line single- or double-quoted scalar that reads as `value`.
 */
export function quotedOffsets(raw: string, value: string): number[] | undefined {
  const quote = raw[0];
  if ((quote !== '"' && quote !== "'") || raw.length < 2 || raw[raw.length - 1] !== quote) return undefined;
  if (raw.includes('\n')) return undefined;
  const offsets: number[] = [];
  const last = raw.length - 1;
  for (let i = 1; i < last;) {
    const c = raw[i] as string;
    if (quote === "'" && c === "'") {
      // `''` is one quote.
      offsets.push(i);
      i += 2;
    } else if (quote === '"' && c === '\\') {
      const kind = raw[i + 1] ?? '';
      const digits = ESCAPE_DIGITS[kind];
      if (digits === undefined) {
        offsets.push(i);
      } else {
        const code = Number.parseInt(raw.slice(i + 2, i + 2 + digits), 16);
        // A code point above U+FFFF is two UTF-16 units of the value, both from this escape.
        offsets.push(i);
        if (code > 0xffff) offsets.push(i);
      }
      i += 2 + (digits ?? 0);
    } else {
      offsets.push(i);
      i += 1;
    }
  }
  offsets.push(last);
  return offsets.length === value.length + 1 ? offsets : undefined;
}
