// The tiny family's frozen random text encoders must tell prompts apart, or a model trained on them
// cannot follow its prompts: both the per-token states (cross-attention) and the pooled vector (SDXL's
// global text_embeds conditioning) of prompts that differ in one word must differ clearly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTinyFamily } from '../../../src/models/tiny/index.js';
import { cpuSessionFactory, encodePrompts, openModelFolder } from '../../../src/models/optimum/index.js';

const dir = mkdtempSync(join(tmpdir(), 'moe-tiny-cond-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cosine = (a: Float32Array, b: Float32Array): number => {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    aa += (a[i] ?? 0) ** 2;
    bb += (b[i] ?? 0) ** 2;
  }
  return dot / Math.sqrt(aa * bb);
};

test('prompts that differ in one word get clearly different pooled and token conditioning', async () => {
  const family = await generateTinyFamily(join(dir, 'tiny'), { seed: 0 });
  assert.ok(family.ok);
  const opened = await openModelFolder(family.value.dir, cpuSessionFactory);
  assert.ok(opened.ok);
  const prompts = [
    'a red circle on a blue background',
    'a green circle on a blue background',
    'a red square on a blue background',
    'a red circle on a green background',
  ];
  const e = await encodePrompts(opened.value, prompts);
  const pooled = (i: number) => e.textEmbeds.slice(i * e.pooledSize, (i + 1) * e.pooledSize);
  const token = (i: number, at: number) =>
    e.encoderHiddenStates.slice(
      (i * e.sequenceLength + at) * e.hiddenSize,
      (i * e.sequenceLength + at + 1) * e.hiddenSize,
    );
  for (let i = 1; i < prompts.length; i++) {
    const c = cosine(pooled(0), pooled(i));
    assert.ok(c < 0.95, `pooled cosine of "${prompts[0]}" and "${prompts[i]}" is ${c.toFixed(3)}`);
  }
  // Tokens: <bos> a red circle on a blue background <eos>; the changed word's state differs.
  const changedAt = [2, 3, 6];
  for (let i = 1; i < prompts.length; i++) {
    const at = changedAt[i - 1] as number;
    const c = cosine(token(0, at), token(i, at));
    assert.ok(c < 0.8, `the state of word ${at} differs between "${prompts[0]}" and "${prompts[i]}": ${c}`);
  }
});

// "a blue square on a green background" and "a green square on a blue background" hold the same words: the
// UNet can draw the colours the right way round only if a colour word's state says which slot it fills.
test("a colour word's state depends on its role: before the shape or before 'background'", async () => {
  for (const seed of [0, 2]) {
    const family = await generateTinyFamily(join(dir, `roles-${seed}`), { seed });
    assert.ok(family.ok);
    const opened = await openModelFolder(family.value.dir, cpuSessionFactory);
    assert.ok(opened.ok);
    const colours = ['red', 'green', 'blue', 'yellow', 'white'];
    const other = (c: string) => (c === 'white' ? 'red' : 'white');
    const asShape = colours.map((c) => `a ${c} square on a ${other(c)} background`);
    const asBackground = colours.map((c) => `a ${other(c)} square on a ${c} background`);
    const e = await encodePrompts(opened.value, [...asShape, ...asBackground]);
    const token = (i: number, at: number) =>
      e.encoderHiddenStates.slice(
        (i * e.sequenceLength + at) * e.hiddenSize,
        (i * e.sequenceLength + at + 1) * e.hiddenSize,
      );
    // <bos> a X square on a Y background <eos>: the shape's colour is word 2, the background's word 6.
    colours.forEach((c, i) => {
      const cos = cosine(token(i, 2), token(colours.length + i, 6));
      assert.ok(
        cos < 0.8,
        `seed ${seed}: "${c}" as the shape's colour and as the background's: cosine ${cos}`,
      );
    });
  }
});
