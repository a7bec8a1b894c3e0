import { test } from 'node:test';
import type { Builder } from '../../../src/onnx/index.js';
import { gradCheck } from './gradcheck.js';

test('Reshape, Transpose, Unsqueeze, Squeeze, Flatten and Expand match finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 3, 4] }, y: { shape: [3, 1] } },
    build: (b, v) => {
      const t = b.transpose(b.reshape(v['x']!, [2, 12]), [1, 0]);
      const u = b.squeeze(b.unsqueeze(t, [0, 2]), [0]);
      const f = b.op('Flatten', [u], { axis: { type: 'int', value: 1 } });
      const e = b.expand(v['y']!, [2, 3, 4]);
      return b.add(b.reshape(f, [2, 3, 4]), e);
    },
  });
});

test('Concat, Split (one output unused) and Slice match finite differences', async () => {
  await gradCheck({
    inputs: { a: { shape: [2, 3, 4] }, b: { shape: [2, 2, 4] } },
    build: (b, v) => {
      const c = b.concat([v['a']!, v['b']!], 1);
      const [first, , third] = b.split(c, [2, 1, 2], 1);
      const s = b.slice(c, [1, -3], [3, 3], [1, 2]);
      return b.add(b.mul(first!, third!), b.reduceSum(s, [2], true));
    },
  });
});

test('ReduceMean and ReduceSum (keepdims on and off, all axes) match finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 3, 4] } },
    build: (b, v) => {
      const x = v['x']!;
      const m = b.reduceMean(b.mul(x, x), [1], false);
      const s = b.reduceSum(x, [0, 2], true);
      const all = b.op('ReduceMean', [x], { keepdims: { type: 'int', value: 0 } });
      return b.add(b.add(b.unsqueeze(m, [1]), s), all);
    },
  });
});

test('Gather of embedding rows with repeated indices matches finite differences', async () => {
  await gradCheck({
    inputs: { table: { shape: [5, 3] } },
    build: (b: Builder, v) => {
      const ids = b.constant(BigInt64Array.from([0n, 3n, 3n, 4n, 0n, 0n]), { dims: [2, 3] });
      return b.gather(v['table']!, ids, 0);
    },
  });
});
