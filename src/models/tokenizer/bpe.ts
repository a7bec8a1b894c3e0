/** The end-of-word marker CLIP appends to a word's last symbol, so "red" inside a word differs from "red". */
export const END_OF_WORD = '</w>';

/** A merge table: `"a b"` → rank (lower merges first), as read from merges.txt. */
export type MergeRanks = ReadonlyMap<string, number>;

export function mergeRanks(merges: readonly (readonly [string, string])[]): Map<string, number> {
  const ranks = new Map<string, number>();
  merges.forEach(([a, b], i) => {
    const key = `${a} ${b}`;
    if (!ranks.has(key)) ranks.set(key, i);
  });
  return ranks;
}

/**
 * Byte-pair encoding of one pre-tokenized word (already in byte-level characters): start from single
 * characters with `</w>` on the last, then repeatedly merge every occurrence (left to right) of the adjacent
 * pair with the lowest rank, until no adjacent pair has a rank. Returns the final symbols.
 */
export function bpeWord(word: string, ranks: MergeRanks): string[] {
  const chars = [...word];
  if (chars.length === 0) return [];
  let symbols = chars.map((c, i) => (i === chars.length - 1 ? c + END_OF_WORD : c));
  while (symbols.length > 1) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const r = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    const first = symbols[best] ?? '';
    const second = symbols[best + 1] ?? '';
    const merged: string[] = [];
    for (let i = 0; i < symbols.length; i++) {
      if (i + 1 < symbols.length && symbols[i] === first && symbols[i + 1] === second) {
        merged.push(first + second);
        i++;
      } else {
        merged.push(symbols[i] ?? '');
      }
    }
    symbols = merged;
  }
  return symbols;
}
