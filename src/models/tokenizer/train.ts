import { END_OF_WORD } from './bpe.js';
import { BYTE_TO_CHAR, toByteChars } from './bytes.js';
import { CLIP_DEFAULTS } from './spec-files.js';
import type { ClipTokenizerSpec } from './clip.js';

/**
 * Learns a small CLIP-style BPE vocabulary in which each of `words` is one token: the 256 byte characters
 * (in CLIP's order: "!" is 0), the same with `</w>`, every merge the words need, then `<|startoftext|>` and `<|endoftext|>` (CLIP's own
 * order). Merges are learnt as BPE does: repeatedly join the most frequent adjacent pair (ties broken by
 * the pair's text, so the result depends only on the words). Any text still encodes, falling back to
 * smaller pieces.
 */
export function learnClipVocabulary(words: readonly string[]): Pick<ClipTokenizerSpec, 'vocab' | 'merges'> {
  const unique = [...new Set(words.map((w) => toByteChars(w.toLowerCase())))].filter((w) => w !== '').sort();
  let corpus = unique.map((w) => [...w].map((c, i, a) => (i === a.length - 1 ? c + END_OF_WORD : c)));
  const merges: [string, string][] = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const symbols of corpus) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, n] of counts) {
      if (n > bestCount || (n === bestCount && best !== undefined && key < best))
        [best, bestCount] = [key, n];
    }
    if (best === undefined) break;
    const [a = '', b = ''] = best.split(' ');
    merges.push([a, b]);
    corpus = corpus.map((symbols) => {
      const out: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === a && symbols[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(symbols[i] ?? '');
      }
      return out;
    });
  }
  // CLIP orders the byte alphabet by character (printable bytes first), so "!" is id 0.
  const alphabet = [...BYTE_TO_CHAR].sort((x, y) => (x.codePointAt(0) ?? 0) - (y.codePointAt(0) ?? 0));
  const tokens = [...alphabet, ...alphabet.map((c) => c + END_OF_WORD), ...merges.map(([a, b]) => a + b)];
  tokens.push(CLIP_DEFAULTS.bosToken, CLIP_DEFAULTS.eosToken);
  const vocab = new Map<string, number>();
  for (const t of tokens) if (!vocab.has(t)) vocab.set(t, vocab.size);
  return { vocab, merges };
}
