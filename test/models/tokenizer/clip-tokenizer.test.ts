import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  learnClipVocabulary,
  loadClipTokenizer,
  normalizeClipText,
  writeClipTokenizer,
  CLIP_DEFAULTS,
} from '../../../src/models/tokenizer/index.js';

/** A hand-made folder: a few byte tokens, the given merges (in rank order), the special tokens. */
async function craftedFolder(merges: string[], pad = '<|endoftext|>'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'moe-tok-'));
  const tokens = [
    '!',
    'l',
    'o',
    'w',
    'e',
    'r',
    'l</w>',
    'o</w>',
    'w</w>',
    'r</w>',
    'e</w>',
    ...merges.map((m) => m.replace(' ', '')),
  ];
  tokens.push('<|startoftext|>', '<|endoftext|>');
  await writeFile(join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(tokens.map((t, i) => [t, i]))));
  await writeFile(join(dir, 'merges.txt'), ['#version: 0.2', ...merges].join('\n') + '\n');
  await writeFile(join(dir, 'special_tokens_map.json'), JSON.stringify({ pad_token: pad }));
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 8 }));
  return dir;
}

test('merges apply by rank: the lowest-ranked adjacent pair joins first', async () => {
  const byRank = await loadClipTokenizer(await craftedFolder(['l o', 'lo w</w>', 'o w</w>']));
  assert.ok(byRank.ok, byRank.ok ? '' : byRank.error.message);
  assert.deepEqual(byRank.value.tokenize('low'), ['low</w>']);

  // Same merges, different ranks: "o w</w>" now wins, and "l ow</w>" is no merge, so two tokens remain.
  const reordered = await loadClipTokenizer(await craftedFolder(['o w</w>', 'l o', 'lo w</w>']));
  assert.ok(reordered.ok);
  assert.deepEqual(reordered.value.tokenize('low'), ['l', 'ow</w>']);
  assert.deepEqual(reordered.value.tokenize('LOW  lower'), ['l', 'ow</w>', 'lo', 'w', 'e', 'r</w>']);
});

test('encode adds bos/eos, pads with the pad token read from the files, and truncates', async () => {
  const eosPad = await loadClipTokenizer(await craftedFolder(['l o', 'lo w</w>']));
  const bangPad = await loadClipTokenizer(await craftedFolder(['l o', 'lo w</w>'], '!'));
  assert.ok(eosPad.ok && bangPad.ok);
  const t1 = eosPad.value;
  const t2 = bangPad.value;
  assert.equal(t1.maxLength, 8);
  const bos = t1.bosId;
  const eos = t1.eosId;
  const low = t1.vocab.get('low</w>')!;
  assert.deepEqual(t1.encode('low').ids, [bos, low, eos, eos, eos, eos, eos, eos]);
  assert.deepEqual(t1.encode('low').attentionMask, [1, 1, 1, 0, 0, 0, 0, 0]);
  assert.deepEqual(t2.encode('low').ids, [bos, low, eos, 0, 0, 0, 0, 0]);
  assert.deepEqual(t1.encode('low', { padding: 'none' }).ids, [bos, low, eos]);

  const long = t1.encode('low low low low low low low low low');
  assert.equal(long.ids.length, 8);
  assert.deepEqual(long.ids, [bos, low, low, low, low, low, low, eos]);
  assert.equal(long.truncated, true);
  assert.equal(t1.encode('low low').truncated, false);
  assert.equal(t1.encode('low '.repeat(20), { truncation: false }).ids.length, 22);
  assert.equal(t1.encode('low', { maxLength: 77 }).ids.length, 77);
});

test('decode(encode(x)) gives back the normalised text, including bytes outside the vocabulary words', async () => {
  const words = ['a', 'red', 'blue', 'circle', 'square', 'on', 'background'];
  const spec = { ...learnClipVocabulary(words), ...CLIP_DEFAULTS };
  const dir = await mkdtemp(join(tmpdir(), 'moe-tok-rt-'));
  await writeClipTokenizer(dir, spec);
  const r = await loadClipTokenizer(dir);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const tok = r.value;
  for (const text of ['A  Red\tcircle on a BLUE background', 'square', 'café ☕ crème 東京', '  ', 'x']) {
    const enc = tok.encode(text, { maxLength: 77 });
    assert.equal(tok.decode(enc.ids), normalizeClipText(text), text);
  }
  // CLIP reads each digit as a word of its own, so numbers come back spaced.
  assert.equal(tok.decode(tok.encode('42 squares').ids), '4 2 squares');
  // Every learnt word is a single token; the pad token of the first tokenizer is eos.
  for (const w of words) assert.deepEqual(tok.tokenize(w), [`${w}</w>`], w);
  assert.equal(tok.padId, tok.eosId);
  assert.equal(
    tok
      .decode(tok.encode('a red circle').ids, { skipSpecialTokens: false })
      .startsWith('<|startoftext|>a red'),
    true,
  );
});

test('normalisation lowercases, collapses whitespace and splits punctuation and digits as CLIP does', async () => {
  const spec = { ...learnClipVocabulary(['it', 's', 'red']), ...CLIP_DEFAULTS };
  const dir = await mkdtemp(join(tmpdir(), 'moe-tok-n-'));
  await writeClipTokenizer(dir, spec);
  const r = await loadClipTokenizer(dir);
  assert.ok(r.ok);
  // "'s" is a contraction piece; "!!" is one pre-token that BPE leaves as two byte symbols.
  assert.deepEqual(r.value.tokenize("It's RED!!  12"), [
    'it</w>',
    "'",
    's</w>',
    'red</w>',
    '!',
    '!</w>',
    '1</w>',
    '2</w>',
  ]);
});

test('tokenizer.json alone gives the same ids as vocab.json + merges.txt', async () => {
  const spec = { ...learnClipVocabulary(['red', 'circle', 'triangle']), ...CLIP_DEFAULTS };
  const a = await mkdtemp(join(tmpdir(), 'moe-tok-a-'));
  await writeClipTokenizer(a, spec);
  const b = await mkdtemp(join(tmpdir(), 'moe-tok-b-'));
  const vocab = Object.fromEntries(spec.vocab);
  await writeFile(
    join(b, 'tokenizer.json'),
    JSON.stringify({
      model: { type: 'BPE', vocab, merges: spec.merges.map(([x, y]) => [x, y]), unk_token: '<|endoftext|>' },
      added_tokens: [{ id: spec.vocab.get('<|endoftext|>'), content: '<|endoftext|>', special: true }],
      padding: { pad_token: '<|endoftext|>' },
    }),
  );
  const ta = await loadClipTokenizer(a);
  const tb = await loadClipTokenizer(b);
  assert.ok(ta.ok && tb.ok, tb.ok ? '' : tb.error.message);
  const text = 'a red circle and a triangle, reddish';
  assert.deepEqual(tb.value.encode(text).ids, ta.value.encode(text).ids);
});

test('missing and broken files are named in the error', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'moe-tok-e-'));
  const missing = await loadClipTokenizer(empty);
  assert.ok(!missing.ok);
  assert.equal(missing.error.reason, 'missing-file');
  assert.match(missing.error.message, /vocab\.json: no such file \(and no tokenizer\.json beside it\)$/);

  const dir = await craftedFolder(['l o']);
  await writeFile(join(dir, 'merges.txt'), '#version: 0.2\nl o\nbad-line\n');
  const badMerges = await loadClipTokenizer(dir);
  assert.ok(!badMerges.ok);
  assert.match(
    badMerges.error.message,
    /merges\.txt: line 3 is not a pair of symbols separated by one space: "bad-line"$/,
  );

  await writeFile(join(dir, 'merges.txt'), 'l o\n');
  await writeFile(join(dir, 'special_tokens_map.json'), JSON.stringify({ pad_token: '<pad>' }));
  const badPad = await loadClipTokenizer(dir);
  assert.ok(!badPad.ok);
  assert.match(badPad.error.message, /the pad token "<pad>" is not in the vocabulary$/);

  await writeFile(join(dir, 'vocab.json'), '{"a": -1}');
  const badVocab = await loadClipTokenizer(dir);
  assert.ok(!badVocab.ok);
  assert.match(badVocab.error.message, /vocab\.json: token "a" has id -1, not a non-negative integer$/);
});
