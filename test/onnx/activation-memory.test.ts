import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activationMemory, checkpointedMemory } from '../../src/onnx/activation-memory.js';
import type { Graph, Node } from '../../src/onnx/index.js';
import { inferShapes } from '../../src/onnx/index.js';
import { attr } from '../../src/onnx/attributes.js';

const node = (op: string, name: string, inputs: string[], attributes: Node['attributes'] = {}): Node => ({
  op,
  name,
  inputs,
  outputs: [name],
  attributes,
});

// Forward: a = Relu(x) [4, 256] (4 KB), b = Relu(a) (4 KB), c = Softmax(b) (4 KB);
// backward: g1 = Mul(c, c) reads c, g2 = Mul(g1, a) reads a, out = Add(g2, g2).
const graph: Graph = {
  name: 'g',
  inputs: [{ name: 'x', dtype: 'float32', shape: [4, 256] }],
  outputs: [{ name: 'u.out', dtype: 'float32', shape: [4, 256] }],
  initializers: [],
  valueInfo: [],
  weights: [],
  nodes: [
    node('Relu', 'u.a', ['x']),
    node('Relu', 'v.b', ['u.a']),
    node('Softmax', 'v.c', ['v.b']),
    node('Mul', 'grad.g1', ['v.c', 'v.c']),
    node('Mul', 'grad.g2', ['grad.g1', 'u.a']),
    node('Add', 'u.out', ['grad.g2', 'grad.g2']),
  ],
};
const forward = new Set(['u.a', 'v.b', 'v.c']);
const KB4 = 4 * 256 * 4;

test('the backward keeps the forward values it reads; the peak follows liveness in graph order', () => {
  const m = activationMemory(graph, forward);
  assert.equal(m.savedValues, 2);
  assert.equal(m.savedBytes, 2 * KB4);
  assert.equal(m.savedByOp.get('Softmax'), KB4);
  assert.equal(m.savedByOp.get('Relu'), KB4);
  // At most three values are alive at once: a, b and c when v.c has run (b is freed after it).
  assert.equal(m.peakBytes, 3 * KB4);
});

test('checkpointing keeps unit inputs and adds the largest unit recomputed', () => {
  const unitOf = (n: string): string | undefined => (n.startsWith('v.') ? 'v' : undefined);
  const c = checkpointedMemory(graph, forward, unitOf);
  // u.a is saved outside a unit and is unit v's input (counted once); v keeps c inside.
  assert.deepEqual(c, { keptBytes: KB4, largestUnitBytes: KB4, largestUnit: 'v', units: 1 });
  const fused = checkpointedMemory(graph, forward, unitOf, new Set(['Softmax']));
  assert.equal(fused.largestUnitBytes, 0);
  assert.equal(fused.keptBytes, KB4);
});

test('a value without a static shape is refused with its producer named', () => {
  const g: Graph = { ...graph, inputs: [{ name: 'x', dtype: 'float32', shape: ['n', 256] }] };
  assert.throws(() => activationMemory(g, forward), /u\.a \(output of Relu node u\.a\) has no static shape/);
});

test('Pad with constant pads and the pools have static output shapes', () => {
  const g: Graph = {
    name: 'p',
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 8, 8] }],
    outputs: [],
    initializers: [
      {
        name: 'pads',
        dtype: 'int64',
        dims: [8],
        role: 'constant',
        data: { kind: 'inline', array: BigInt64Array.from([0, 0, 1, 2, 0, 0, 1, 0].map(BigInt)) },
      },
    ],
    valueInfo: [],
    weights: [],
    nodes: [
      node('Pad', 'padded', ['x', 'pads']),
      node('AveragePool', 'pooled', ['x'], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) }),
      node('MaxPool', 'maxed', ['x'], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) }),
    ],
  };
  const f = inferShapes(g);
  assert.deepEqual(f.get('padded')?.shape, [2, 3, 10, 10]);
  assert.deepEqual(f.get('pooled')?.shape, [2, 3, 4, 4]);
  assert.deepEqual(f.get('maxed')?.shape, [2, 3, 8, 8]);
});
