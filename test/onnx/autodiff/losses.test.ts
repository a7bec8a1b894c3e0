import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Builder, encodeModel, openSession, ort } from '../../../src/onnx/index.js';
import { buildTrainingGraph, withMseLoss } from '../../../src/onnx/autodiff/index.js';

test('withMseLoss: plain mean squared error, and per-sample weights (min-SNR) with their gradient', async () => {
  const b = new Builder();
  const x = b.input('x', 'float32', [2, 3]);
  const w = b.input('w', 'float32', [3]);
  b.output(b.mul(x, w, 'scaled'), 'prediction');
  const model = b.build();
  const graph = withMseLoss(model.graph, { prediction: 'prediction', sampleWeights: 'snr_weights' });
  assert.deepEqual(
    graph.inputs.map((v) => v.name),
    ['x', 'w', 'target', 'snr_weights'],
  );
  const training = buildTrainingGraph(graph, { loss: 'loss', wrt: ['w'] });
  assert.ok(training.ok, training.ok ? '' : training.error.message);
  const s = await openSession(encodeModel({ ...model, graph: training.value }), { threads: 1 });
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  const xs = Float32Array.of(1, 2, 3, 4, 5, 6);
  const ws = Float32Array.of(0.5, -1, 2);
  const ts = Float32Array.of(0, 1, 0, 1, 0, 1);
  const run = async (sw: Float32Array) =>
    s.value.run({
      x: new ort.Tensor('float32', xs, [2, 3]),
      w: new ort.Tensor('float32', ws, [3]),
      target: new ort.Tensor('float32', ts, [2, 3]),
      snr_weights: new ort.Tensor('float32', sw, [2]),
    });
  try {
    const sw = Float32Array.of(1, 3);
    const out = await run(sw);
    let loss = 0;
    const grad = [0, 0, 0];
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        const d = xs[r * 3 + c]! * ws[c]! - ts[r * 3 + c]!;
        loss += (sw[r]! * d * d) / 6;
        grad[c]! += (sw[r]! * 2 * d * xs[r * 3 + c]!) / 6;
      }
    }
    assert.ok(Math.abs((out['loss']!.data as Float32Array)[0]! - loss) < 1e-5);
    const g = out['grad.w']!.data as Float32Array;
    grad.forEach((v, i) => assert.ok(Math.abs(g[i]! - v) < 1e-4, `grad ${i}: ${g[i]} vs ${v}`));
  } finally {
    await s.value.release();
  }
});
