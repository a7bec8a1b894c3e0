import { test } from 'node:test';
import { gradCheck, rng } from './gradcheck.js';

const positive = (n: number, seed: number): Float32Array => {
  const g = rng(seed);
  return Float32Array.from({ length: n }, () => 0.5 + 1.5 * g.uniform());
};

test('Add, Sub, Mul and Div with broadcasting (rank and size-1 axes) match finite differences', async () => {
  await gradCheck({
    inputs: {
      a: { shape: [2, 3, 4] },
      b: { shape: [3, 1] },
      c: { shape: [4] },
      d: { shape: [1, 3, 1], data: positive(3, 5) },
    },
    build: (b, v) => b.div(b.mul(b.sub(b.add(v['a']!, v['b']!), v['c']!), v['a']!), v['d']!),
  });
});

test('Pow (constant and variable exponent), Sqrt, Exp, Log and Reciprocal match finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 5], data: positive(10, 1) }, p: { shape: [5], data: positive(5, 2) } },
    build: (b, v) => {
      const x = v['x']!;
      const sq = b.pow(x, b.scalar(2));
      const cube = b.pow(x, b.scalar(3));
      const general = b.pow(x, v['p']!);
      const rest = b.add(b.sqrt(x), b.add(b.exp(b.scale(x, 0.3)), b.op('Log', [x])));
      return b.add(b.add(sq, b.scale(cube, 0.1)), b.add(general, b.add(rest, b.op('Reciprocal', [x]))));
    },
  });
});

test('Neg, Sin, Cos, Tanh, Erf and Sigmoid match finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [3, 4] } },
    build: (b, v) => {
      const x = v['x']!;
      return b.add(b.add(b.neg(b.sin(x)), b.cos(x)), b.add(b.tanh(x), b.add(b.erf(x), b.sigmoid(x))));
    },
  });
});

test('SiLU (Mul of x and Sigmoid x, a fan-out) and exact Gelu match finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [4, 6] } },
    build: (b, v) => b.add(b.silu(v['x']!), b.scale(b.gelu(v['x']!), 2)),
  });
});

test('SiLU written σ(x)·x, with σ(x) also used on its own and x by another op, matches finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [3, 5] } },
    build: (b, v) => {
      const x = v['x']!;
      const s = b.sigmoid(x);
      return b.add(b.add(b.mul(s, x), b.scale(b.mul(s, s), 3)), b.mul(x, x));
    },
  });
});

test('Relu away from its kink, Identity, Cast and Where match finite differences', async () => {
  const g = rng(9);
  const x = Float32Array.from({ length: 12 }, () => (g.uniform() < 0.5 ? -1 : 1) * (0.2 + g.uniform()));
  await gradCheck({
    inputs: { x: { shape: [3, 4], data: x }, y: { shape: [4] } },
    build: (b, v) => {
      const relu = b.op('Relu', [b.identity(v['x']!)]);
      const cast = b.cast(b.cast(v['x']!, 'float64'), 'float32');
      const mask = b.op('Greater', [v['x']!, b.scalar(0)]);
      const picked = b.op('Where', [mask, cast, v['y']!]);
      return b.add(relu, b.mul(picked, picked));
    },
  });
});

test('Softmax over the last and a middle axis, and a Sum of three operands, match finite differences', async () => {
  await gradCheck({
    inputs: { x: { shape: [2, 3, 5] }, y: { shape: [5] } },
    build: (b, v) => {
      const last = b.softmax(v['x']!, -1);
      const middle = b.softmax(v['x']!, 1);
      return b.op('Sum', [last, middle, v['y']!]);
    },
  });
});
