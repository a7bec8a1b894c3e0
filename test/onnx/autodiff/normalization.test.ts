import { test } from 'node:test';
import { gradCheck } from './gradcheck.js';

test('LayerNormalization (input, scale and bias) matches finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 3, 8] }, scale: { shape: [8] }, bias: { shape: [8] } },
    build: (b, v) => b.layerNorm(v['x']!, v['scale']!, v['bias']!, 1e-5, -1),
  });
});

test("moe's GroupNorm decomposition (InstanceNormalization with unit scale) matches finite differences", async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 4, 3, 3] }, scale: { shape: [4] }, bias: { shape: [4] } },
    build: (b, v) => b.groupNorm(v['x']!, v['scale']!, v['bias']!, 2, 1e-5),
  });
});

test('InstanceNormalization with a learnt scale and bias matches finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 3, 4, 2] }, scale: { shape: [3] }, bias: { shape: [3] } },
    build: (b, v) => b.instanceNorm(v['x']!, v['scale']!, v['bias']!, 1e-5),
  });
});

test('GroupNormalization-21 matches finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 4, 3, 3] }, scale: { shape: [4] }, bias: { shape: [4] } },
    build: (b, v) => b.groupNormOp(v['x']!, v['scale']!, v['bias']!, 2, 1e-5),
  });
});
