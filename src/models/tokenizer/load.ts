import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClipTokenizer } from './clip.js';
import type { ClipTokenizerSpec } from './clip.js';
import {
  CLIP_DEFAULTS,
  parseMerges,
  parseSpecialTokens,
  parseTokenizerJson,
  parseVocab,
} from './spec-files.js';
import type { SpecialTokens } from './spec-files.js';
import { err, ok } from '../../util/result.js';
import type { Result } from '../../util/result.js';

export interface TokenizerError {
  readonly reason: 'missing-file' | 'invalid-file';
  readonly file: string;
  readonly message: string;
}

const fail = (reason: TokenizerError['reason'], file: string, problem: string) =>
  err<TokenizerError>({ reason, file, message: `${file}: ${problem}` });

/** The file's text, or undefined when it does not exist. */
async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseJson(text: string, file: string): Result<unknown, TokenizerError> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return fail('invalid-file', file, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Builds a tokenizer from parsed parts, checking that the special tokens are in the vocabulary.
 */
export function createClipTokenizer(
  spec: ClipTokenizerSpec,
  file = '<memory>',
): Result<ClipTokenizer, TokenizerError> {
  for (const [role, token] of [
    ['bos', spec.bosToken],
    ['eos', spec.eosToken],
    ['pad', spec.padToken],
    ['unk', spec.unkToken],
  ] as const) {
    if (!spec.vocab.has(token)) {
      return fail(
        'invalid-file',
        file,
        `the ${role} token ${JSON.stringify(token)} is not in the vocabulary`,
      );
    }
  }
  return ok(new ClipTokenizer(spec));
}

/**
 * Loads a CLIP tokenizer folder as Optimum and diffusers write it: vocab.json + merges.txt, or
 * tokenizer.json when those are absent. Special tokens come from special_tokens_map.json, then
 * tokenizer_config.json, then tokenizer.json, then CLIP's defaults, so SDXL's two tokenizers get their
 * different pad tokens from their own files.
 */
export async function loadClipTokenizer(dir: string): Promise<Result<ClipTokenizer, TokenizerError>> {
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  const tokenizerJsonPath = join(dir, 'tokenizer.json');
  const [vocabText, mergesText, tokJsonText, configText, mapText] = await Promise.all([
    readOptional(vocabPath),
    readOptional(mergesPath),
    readOptional(tokenizerJsonPath),
    readOptional(join(dir, 'tokenizer_config.json')),
    readOptional(join(dir, 'special_tokens_map.json')),
  ]);

  let vocab: Map<string, number>;
  let merges: [string, string][];
  let fromTokJson: SpecialTokens = {};
  let source: string;
  if (vocabText !== undefined && mergesText !== undefined) {
    const json = parseJson(vocabText, vocabPath);
    if (!json.ok) return json;
    const v = parseVocab(json.value);
    if (typeof v === 'string') return fail('invalid-file', vocabPath, v);
    const m = parseMerges(mergesText);
    if (typeof m === 'string') return fail('invalid-file', mergesPath, m);
    [vocab, merges, source] = [v, m, vocabPath];
  } else if (tokJsonText !== undefined) {
    const json = parseJson(tokJsonText, tokenizerJsonPath);
    if (!json.ok) return json;
    const parsed = parseTokenizerJson(json.value);
    if (typeof parsed === 'string') return fail('invalid-file', tokenizerJsonPath, parsed);
    [vocab, merges, fromTokJson, source] = [parsed.vocab, parsed.merges, parsed.special, tokenizerJsonPath];
  } else {
    const missing = vocabText === undefined ? vocabPath : mergesPath;
    return fail('missing-file', missing, 'no such file (and no tokenizer.json beside it)');
  }

  const layers: SpecialTokens[] = [fromTokJson];
  for (const [text, file] of [
    [configText, join(dir, 'tokenizer_config.json')],
    [mapText, join(dir, 'special_tokens_map.json')],
  ] as const) {
    if (text === undefined) continue;
    const json = parseJson(text, file);
    if (!json.ok) return json;
    layers.push(parseSpecialTokens(json.value));
  }
  const spec: ClipTokenizerSpec = Object.assign({ vocab, merges }, CLIP_DEFAULTS, ...layers);
  return createClipTokenizer(spec, source);
}
