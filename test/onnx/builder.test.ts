import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Builder, encodeModel, openSession, ort, saveModel, weightsAsInputs } from '../../src/onnx/index.js';
import type { Model } from '../../src/onnx/index.js';

const inline = (a: Float32Array) => ({ kind: 'inline' as const, array: a });

/** y = relu(x·W1ᵀ + b1)·W2ᵀ + b2 with W1 = [[1,2],[3,-4],[0,1]], b1 = [0.5,0,-1], W2 = [[1,1,1]], b2 = [2]. */
function mlp(): Model {
  const weights: Record<string, Float32Array> = {
    'fc1.weight': Float32Array.from([1, 2, 3, -4, 0, 1]),
    'fc1.bias': Float32Array.from([0.5, 0, -1]),
    'fc2.weight': Float32Array.from([1, 1, 1]),
    'fc2.bias': Float32Array.from([2]),
  };
  const dims: Record<string, number[]> = {
    'fc1.weight': [3, 2],
    'fc1.bias': [3],
    'fc2.weight': [1, 3],
    'fc2.bias': [1],
  };
  const b = new Builder({
    weights: (name) => {
      const a = weights[name];
      const d = dims[name];
      return a && d ? { dtype: 'float32', dims: d, data: inline(a) } : undefined;
    },
  });
  const x = b.input('x', 'float32', ['batch', 1, 2]);
  const h = b.scope('fc1', () => b.linear(x, b.param('weight', [3, 2]), b.param('bias', [3]), 'linear'));
  const r = b.op('Relu', [h], {}, 'relu');
  const y = b.scope('fc2', () => b.linear(r, b.param('weight', [1, 3]), b.param('bias', [1]), 'linear'));
  b.output(y, 'y');
  return b.build();
}

// x = [1, 1]: h = [3.5, -1, 0] → relu [3.5, 0, 0] → 5.5.  x = [2, -1]: h = [0.5, 10, -2] → [0.5, 10, 0] → 12.5
const X = Float32Array.from([1, 1, 2, -1]);
const EXPECTED = [5.5, 12.5];

async function runBytes(
  model: Uint8Array | string,
  feeds: Record<string, ort.Tensor>,
): Promise<Float32Array> {
  const s = await openSession(model, { threads: 1 });
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  try {
    const out = await s.value.run(feeds);
    return out['y']!.data as Float32Array;
  } finally {
    await s.value.release();
  }
}

test('a hand-checked MLP built with the builder runs in onnxruntime', async () => {
  const model = mlp();
  assert.deepEqual(model.graph.weights, ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  assert.ok(model.graph.nodes.some((n) => n.name === 'fc1.linear' && n.outputs[0] === 'fc1.linear.out'));
  const y = await runBytes(encodeModel(model), { x: new ort.Tensor('float32', X, [2, 1, 2]) });
  assert.deepEqual(Array.from(y), EXPECTED);
  assert.deepEqual(model.graph.outputs, [{ name: 'y', dtype: 'float32', shape: ['batch', 1, 1] }]);
});

test('weights fed as graph inputs give the same result and can be changed per run', async () => {
  const { model, weights } = weightsAsInputs(mlp());
  assert.equal(model.graph.initializers.filter((t) => t.role === 'weight').length, 0);
  const feeds: Record<string, ort.Tensor> = { x: new ort.Tensor('float32', X, [2, 1, 2]) };
  for (const w of weights) {
    assert.equal(w.data.kind, 'inline');
    if (w.data.kind === 'inline')
      feeds[w.name] = new ort.Tensor('float32', w.data.array as Float32Array, w.dims);
  }
  const bytes = encodeModel(model);
  assert.deepEqual(Array.from(await runBytes(bytes, feeds)), EXPECTED);
  feeds['fc2.bias'] = new ort.Tensor('float32', Float32Array.from([0]), [1]);
  assert.deepEqual(Array.from(await runBytes(bytes, feeds)), [3.5, 10.5]);
});

test('external data: weights go to model.onnx_data with page-aligned offsets and load from the path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-onnx-'));
  try {
    const path = join(dir, 'model.onnx');
    const saved = saveModel(mlp(), path, { externalData: 'always', minExternalBytes: 0 });
    assert.equal(saved.externalDataPath, `${path}_data`);
    // Four weights, each at a 4096-byte boundary; the last is 4 bytes long.
    assert.equal(statSync(`${path}_data`).size, 3 * 4096 + 4);
    assert.ok(readFileSync(path).includes(Buffer.from('model.onnx_data')));
    const y = await runBytes(path, { x: new ort.Tensor('float32', X, [2, 1, 2]) });
    assert.deepEqual(Array.from(y), EXPECTED);
    const inlineSaved = saveModel(mlp(), join(dir, 'inline.onnx'));
    assert.equal(inlineSaved.externalDataPath, undefined);
    // Saving inline over a model that had external data removes the stale data file.
    saveModel(mlp(), path);
    assert.ok(!existsSync(`${path}_data`));
    // `auto` switches to external data once the weights pass the limit (1.9 GiB unless told).
    const auto = saveModel(mlp(), join(dir, 'auto.onnx'), { limitBytes: 16, minExternalBytes: 0 });
    assert.equal(auto.externalDataPath, join(dir, 'auto.onnx_data'));
    assert.deepEqual(
      Array.from(await runBytes(join(dir, 'auto.onnx'), { x: new ort.Tensor('float32', X, [2, 1, 2]) })),
      EXPECTED,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lazy tensors are read once, at save time', () => {
  let reads = 0;
  const b = new Builder();
  const x = b.input('x', 'float32', [2]);
  const w = b.weight('w', {
    dtype: 'float32',
    dims: [2],
    data: {
      kind: 'lazy',
      byteLength: 8,
      read: () => {
        reads++;
        return new Uint8Array(Float32Array.from([1, 2]).buffer);
      },
    },
  });
  b.output(b.add(x, w), 'y');
  assert.equal(reads, 0);
  encodeModel(b.build());
  assert.equal(reads, 1);
});

test('a wrong weight shape is a build error naming the weight', () => {
  const b = new Builder({
    weights: () => ({ dtype: 'float32', dims: [2, 2], data: inline(new Float32Array(4)) }),
  });
  assert.throws(
    () => b.scope('conv_in', () => b.param('weight', [3, 2])),
    /conv_in\.weight has shape \[2, 2\], expected \[3, 2\]/,
  );
  assert.throws(() => new Builder().param('bias', [1]), /weight bias is missing/);
});

test('encoding is deterministic: the same model gives the same bytes', () => {
  assert.deepEqual(encodeModel(mlp()), encodeModel(mlp()));
});
