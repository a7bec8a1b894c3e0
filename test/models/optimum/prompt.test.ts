import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModelFolder, encodePrompts } from '../../../src/models/optimum/index.js';
import { defaultModels, fakeSessions, writeFakeExport } from './fake-export.js';

test('prompt embeddings: penultimate states of both encoders side by side, pooled from the second, zeros for an empty negative', async () => {
  const models = defaultModels();
  const root = await writeFakeExport(models);
  const r = await openModelFolder(root, fakeSessions(root, models));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const model = r.value;
  const red = model.tokenizer.vocab.get('red</w>')!;
  const e = await encodePrompts(model, ['red circle', 'a']);
  assert.equal(e.batch, 2);
  assert.equal(e.sequenceLength, 77);
  assert.equal(e.hiddenSize, 8);
  assert.equal(e.pooledSize, 4);
  assert.equal(e.encoderHiddenStates.length, 2 * 77 * 8);
  // Row 1, token 0: three values from text_encoder (tag 1000), then five from text_encoder_2 (tag 2000).
  const at = (b: number, t: number, c: number) => e.encoderHiddenStates[(b * 77 + t) * 8 + c]!;
  assert.equal(Math.floor(at(0, 0, 0)), 1000 + red);
  assert.equal(Math.floor(at(0, 0, 2)), 1000 + red);
  assert.equal(Math.floor(at(0, 0, 3)), 2000 + red);
  assert.equal(Math.floor(at(1, 5, 7)), 2000 + 100 + model.tokenizer.vocab.get('a</w>')!);
  assert.equal(Math.floor(e.textEmbeds[4]!), 2000 + 100 + model.tokenizer.vocab.get('a</w>')!);

  const neg = await encodePrompts(model, ['', undefined, 'red'], { negative: true });
  assert.ok(neg.encoderHiddenStates.subarray(0, 2 * 77 * 8).every((v) => v === 0));
  assert.ok(neg.textEmbeds.subarray(0, 8).every((v) => v === 0));
  assert.ok(neg.textEmbeds.subarray(8).every((v) => v !== 0));
  assert.deepEqual(e.truncated, [false, false]);
  const long = await encodePrompts(model, ['a red circle', 'red '.repeat(80)]);
  assert.deepEqual(long.truncated, [false, true]);
  // Positive empty prompts are encoded, not zeroed.
  const pos = await encodePrompts(model, ['']);
  assert.ok(pos.textEmbeds.every((v) => v !== 0));
});
