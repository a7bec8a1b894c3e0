import { bpeWord, END_OF_WORD, mergeRanks } from './bpe.js';
import type { MergeRanks } from './bpe.js';
import { byteCharsToBytes, toByteChars } from './bytes.js';
import { normalizeClipText, preTokenize } from './normalize.js';

/** What defines a CLIP tokenizer: the files' contents, parsed. */
export interface ClipTokenizerSpec {
  /** token → id (vocab.json). */
  readonly vocab: ReadonlyMap<string, number>;
  /** Merges in rank order (merges.txt without its `#version` line). */
  readonly merges: readonly (readonly [string, string])[];
  readonly bosToken: string;
  readonly eosToken: string;
  /** SDXL's first tokenizer pads with `<|endoftext|>`, the second with `!`: read from the files. */
  readonly padToken: string;
  readonly unkToken: string;
  /** model_max_length: 77 for CLIP. */
  readonly maxLength: number;
}

export interface EncodeOptions {
  /** `max_length` pads to `maxLength` with the pad token (what SDXL does); `none` leaves the length as is. */
  readonly padding?: 'max_length' | 'none';
  /** Cut the tokens so that bos + tokens + eos fit in `maxLength` (default true). */
  readonly truncation?: boolean;
  /** Defaults to the tokenizer's own. */
  readonly maxLength?: number;
}

export interface Encoding {
  readonly ids: number[];
  /** 1 for real tokens (bos, text, eos), 0 for padding. */
  readonly attentionMask: number[];
  /** True when text tokens were dropped to fit. */
  readonly truncated: boolean;
}

export class ClipTokenizer {
  readonly vocab: ReadonlyMap<string, number>;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  readonly maxLength: number;
  private readonly ranks: MergeRanks;
  private readonly idToToken: Map<number, string>;
  private readonly cache = new Map<string, string[]>();

  /** Throws when a special token is missing from the vocabulary: use `createClipTokenizer` for a Result. */
  constructor(readonly spec: ClipTokenizerSpec) {
    const id = (token: string, role: string): number => {
      const v = spec.vocab.get(token);
      if (v === undefined)
        throw new Error(`the ${role} token ${JSON.stringify(token)} is not in the vocabulary`);
      return v;
    };
    this.vocab = spec.vocab;
    this.bosId = id(spec.bosToken, 'bos');
    this.eosId = id(spec.eosToken, 'eos');
    this.padId = id(spec.padToken, 'pad');
    this.unkId = id(spec.unkToken, 'unk');
    this.maxLength = spec.maxLength;
    this.ranks = mergeRanks(spec.merges);
    this.idToToken = new Map([...spec.vocab].map(([t, i]) => [i, t]));
  }

  /** The BPE tokens of a text, without bos/eos (e.g. `["a</w>", "red</w>", "circ", "le</w>"]`). */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const word of preTokenize(normalizeClipText(text))) {
      if (word === this.spec.bosToken || word === this.spec.eosToken) {
        out.push(word);
        continue;
      }
      let pieces = this.cache.get(word);
      if (pieces === undefined) {
        pieces = bpeWord(toByteChars(word), this.ranks);
        if (this.cache.size < 10_000) this.cache.set(word, pieces);
      }
      out.push(...pieces);
    }
    return out;
  }

  /** `[bos, …tokens, eos, pad…]` as SDXL's pipelines call the tokenizer (padding to 77, truncation on). */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    const maxLength = options.maxLength ?? this.maxLength;
    let body = this.tokenize(text).map((t) => this.vocab.get(t) ?? this.unkId);
    let truncated = false;
    if ((options.truncation ?? true) && body.length > maxLength - 2) {
      body = body.slice(0, Math.max(0, maxLength - 2));
      truncated = true;
    }
    const ids = [this.bosId, ...body, this.eosId];
    const attentionMask = ids.map(() => 1);
    if ((options.padding ?? 'max_length') === 'max_length') {
      while (ids.length < maxLength) {
        ids.push(this.padId);
        attentionMask.push(0);
      }
    }
    return { ids, attentionMask, truncated };
  }

  /**
   * Text back from ids: tokens joined, `</w>` read as a space, bytes decoded. CLIP's decoding is lossy by
   * design: the text comes back normalised, with spaces around punctuation that had none. With
   * `skipSpecialTokens` (the default) bos is dropped and decoding stops at the first eos, so padding goes
   * whatever its token (tokenizer_2 pads with "!", which is also a real character).
   */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    // Bytes are gathered across tokens: one character's UTF-8 bytes may be split between two tokens.
    const bytes: number[] = [];
    for (const id of ids) {
      if (skip && id === this.eosId) break;
      if (skip && id === this.bosId) continue;
      const token = this.idToToken.get(id) ?? '';
      const endsWord = token.endsWith(END_OF_WORD);
      bytes.push(...byteCharsToBytes(endsWord ? token.slice(0, -END_OF_WORD.length) : token));
      if (endsWord) bytes.push(0x20);
    }
    return Buffer.from(bytes).toString('utf8').trim();
  }
}
