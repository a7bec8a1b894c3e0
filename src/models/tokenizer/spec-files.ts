import type { ClipTokenizerSpec } from './clip.js';

/**
 * Parsers for the files a Hugging Face CLIP tokenizer folder holds. Each returns a problem sentence instead
 * of throwing, so the loader can name the file.
 */

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseVocab(json: unknown): Map<string, number> | string {
  if (!isRecord(json)) return 'is not a JSON object of token → id';
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(json)) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      return `token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not a non-negative integer`;
    }
    vocab.set(token, id);
  }
  return vocab;
}

/** merges.txt: an optional `#version` line, then one `a b` pair per line in rank order. */
export function parseMerges(text: string): [string, string][] | string {
  const merges: [string, string][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      return `line ${i + 1} is not a pair of symbols separated by one space: ${JSON.stringify(line.slice(0, 80))}`;
    }
    merges.push([parts[0] ?? '', parts[1] ?? '']);
  }
  return merges;
}

/** A token setting may be a string or an AddedToken object `{ "content": … }`. */
export function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isRecord(v) && typeof v['content'] === 'string') return v['content'];
  return undefined;
}

export interface SpecialTokens {
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  unkToken?: string;
  maxLength?: number;
}

/** Special tokens and the maximum length from tokenizer_config.json or special_tokens_map.json. */
export function parseSpecialTokens(json: unknown): SpecialTokens {
  if (!isRecord(json)) return {};
  const out: SpecialTokens = {};
  const set = (key: keyof Omit<SpecialTokens, 'maxLength'>, field: string) => {
    const v = tokenContent(json[field]);
    if (v !== undefined) out[key] = v;
  };
  set('bosToken', 'bos_token');
  set('eosToken', 'eos_token');
  set('padToken', 'pad_token');
  set('unkToken', 'unk_token');
  const max = json['model_max_length'];
  // transformers writes a huge sentinel (1e30) when no limit is known: ignore it.
  if (typeof max === 'number' && Number.isSafeInteger(max) && max > 2) out.maxLength = max;
  return out;
}

/** The BPE model of a `tokenizer.json` (tokenizers library): vocab, merges, added tokens, padding. */
export function parseTokenizerJson(
  json: unknown,
): { vocab: Map<string, number>; merges: [string, string][]; special: SpecialTokens } | string {
  if (!isRecord(json) || !isRecord(json['model'])) return 'has no "model" object';
  const model = json['model'];
  if (model['type'] !== undefined && model['type'] !== 'BPE') {
    return `holds a ${JSON.stringify(model['type'])} model, not BPE`;
  }
  const vocab = parseVocab(model['vocab']);
  if (typeof vocab === 'string') return `model.vocab ${vocab}`;
  const rawMerges = model['merges'];
  if (!Array.isArray(rawMerges)) return 'model.merges is not an array';
  const merges: [string, string][] = [];
  for (const m of rawMerges) {
    // Older files write "a b", newer ones ["a", "b"].
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => typeof x === 'string')) {
      return `model.merges entry ${JSON.stringify(m)} is not a pair`;
    }
    merges.push([pair[0] as string, pair[1] as string]);
  }
  if (Array.isArray(json['added_tokens'])) {
    for (const t of json['added_tokens']) {
      if (isRecord(t) && typeof t['content'] === 'string' && typeof t['id'] === 'number')
        vocab.set(t['content'], t['id']);
    }
  }
  const special: SpecialTokens = {};
  const padding = json['padding'];
  if (isRecord(padding) && typeof padding['pad_token'] === 'string') special.padToken = padding['pad_token'];
  const truncation = json['truncation'];
  if (isRecord(truncation) && typeof truncation['max_length'] === 'number')
    special.maxLength = truncation['max_length'];
  const unk = model['unk_token'];
  if (typeof unk === 'string') special.unkToken = unk;
  return { vocab, merges, special };
}

/** CLIP's defaults, used for whatever the files leave out. */
export const CLIP_DEFAULTS: Omit<ClipTokenizerSpec, 'vocab' | 'merges'> = {
  bosToken: '<|startoftext|>',
  eosToken: '<|endoftext|>',
  padToken: '<|endoftext|>',
  unkToken: '<|endoftext|>',
  maxLength: 77,
};
