import { test } from 'node:test';
import { gradCheck } from './gradcheck.js';

test('Conv 3x3 with padding and bias matches finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 3, 5, 5] }, w: { shape: [4, 3, 3, 3] }, bias: { shape: [4] } },
    build: (b, v) => b.conv(v['x']!, v['w']!, v['bias']!, { pads: [1, 1, 1, 1] }),
  });
});

test('Conv with stride 2 (even and odd sizes), asymmetric padding and a 1x1 kernel matches finite differences', async () => {
  await gradCheck({
    inputs: {
      x: { shape: [2, 2, 6, 6] },
      odd: { shape: [1, 2, 7, 5] },
      w: { shape: [3, 2, 3, 3] },
      bias: { shape: [3] },
      w1: { shape: [2, 3, 1, 1] },
    },
    build: (b, v) => {
      const down = b.conv(v['x']!, v['w']!, v['bias']!, { pads: [1, 1, 1, 1], strides: [2, 2] });
      const padded = b.conv(v['x']!, v['w']!, undefined, { pads: [0, 0, 1, 1], strides: [2, 2] });
      const even = b.conv(b.add(down, padded), v['w1']!);
      const odd = b.conv(v['odd']!, v['w']!, v['bias']!, { pads: [1, 1, 1, 1], strides: [2, 2] });
      return b.concat([b.reshape(even, [-1]), b.reshape(odd, [-1])], 0);
    },
  });
});

test('grouped and dilated Conv, and a strided 1-D Conv (the general weight-gradient form), match finite differences', async () => {
  await gradCheck({
    inputs: {
      x: { shape: [2, 4, 6, 6] },
      w: { shape: [6, 2, 3, 3] },
      wd: { shape: [6, 4, 3, 2] },
      s: { shape: [2, 3, 9] },
      w1d: { shape: [2, 3, 3] },
    },
    build: (b, v) => {
      const grouped = b.conv(v['x']!, v['w']!, undefined, {
        pads: [2, 2, 2, 2],
        dilations: [2, 2],
        group: 2,
      });
      const dilated = b.conv(v['x']!, v['wd']!, undefined, { pads: [2, 1, 2, 1], dilations: [2, 2] });
      const oneD = b.conv(v['s']!, v['w1d']!, undefined, { pads: [1, 0], strides: [2] });
      return b.concat([b.reshape(grouped, [-1]), b.reshape(dilated, [-1]), b.reshape(oneD, [-1])], 0);
    },
  });
});

test('nearest ×2 up-sampling (Resize) matches finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 3, 3, 4] } },
    build: (b, v) => b.upsampleNearest(v['x']!, 2),
  });
});
