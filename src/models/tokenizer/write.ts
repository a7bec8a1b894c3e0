import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClipTokenizerSpec } from './clip.js';

/**
 * Writes a tokenizer folder as transformers' CLIPTokenizer.save_pretrained does (and Optimum copies):
 * vocab.json, merges.txt, special_tokens_map.json, tokenizer_config.json. No tokenizer.json, like an
 * Optimum SDXL export. The output is a pure function of `spec` (keys in a fixed order).
 */
export async function writeClipTokenizer(dir: string, spec: ClipTokenizerSpec): Promise<void> {
  await mkdir(dir, { recursive: true });
  const token = (content: string) => ({
    content,
    lstrip: false,
    normalized: true,
    rstrip: false,
    single_word: false,
  });
  const vocab = Object.fromEntries([...spec.vocab].sort((a, b) => a[1] - b[1]));
  const merges = ['#version: 0.2', ...spec.merges.map(([a, b]) => `${a} ${b}`)].join('\n') + '\n';
  const specials = {
    bos_token: token(spec.bosToken),
    eos_token: token(spec.eosToken),
    pad_token: spec.padToken,
    unk_token: token(spec.unkToken),
  };
  const config = {
    add_prefix_space: false,
    bos_token: spec.bosToken,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: spec.eosToken,
    errors: 'replace',
    model_max_length: spec.maxLength,
    pad_token: spec.padToken,
    tokenizer_class: 'CLIPTokenizer',
    unk_token: spec.unkToken,
  };
  await writeFile(join(dir, 'vocab.json'), JSON.stringify(vocab));
  await writeFile(join(dir, 'merges.txt'), merges);
  await writeFile(join(dir, 'special_tokens_map.json'), JSON.stringify(specials, null, 2) + '\n');
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
}
