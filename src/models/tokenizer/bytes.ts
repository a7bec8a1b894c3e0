/**
 * GPT-2/CLIP byte-level alphabet: every byte gets a printable character so BPE can run over strings.
 * Printable Latin-1 bytes map to themselves; the rest (control bytes, space, …) to U+0100 onwards, in
 * byte order. Any UTF-8 text therefore encodes without an unknown token.
 */
function buildByteTable(): string[] {
  const keep = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(keep(b) ? b : next++);
  return table;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteTable();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The byte-level string of a piece of text. */
export function toByteChars(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) out += BYTE_TO_CHAR[b];
  return out;
}

/** The bytes behind byte-level characters; characters outside the table (none in a valid vocab) are dropped. */
export function byteCharsToBytes(chars: string): number[] {
  const bytes: number[] = [];
  for (const c of chars) {
    const b = CHAR_TO_BYTE.get(c);
    if (b !== undefined) bytes.push(b);
  }
  return bytes;
}
