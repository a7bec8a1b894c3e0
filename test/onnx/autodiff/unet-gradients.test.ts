// THE check of autodiff: PyTorch autograd's gradient of an MSE loss for every weight of the shared tiny
// SDXL UNet (grads.safetensors), reproduced by moe's generated training graph (tolerances from the
// reference README: loss within 1e-5 relative, each gradient within 1e-3 × that tensor's max |grad|).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadDiffusersUNet } from '../../../src/models/unet/index.js';
import { encodeModel, openSession, ort, weightsAsInputs } from '../../../src/onnx/index.js';
import { buildTrainingGraph, withMseLoss } from '../../../src/onnx/autodiff/index.js';
import { openSafetensors } from '../../../src/formats/safetensors.js';
import { referencePath } from '../../fixtures/reference-data.js';

const REF = referencePath('unet-tiny-sdxl');

interface Stored {
  readonly data: Float32Array;
  readonly shape: number[];
}

async function readAll(file: string): Promise<Map<string, Stored>> {
  const r = await openSafetensors(join(REF, file));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const out = new Map<string, Stored>();
  for (const [name, info] of r.value.tensors) {
    out.set(name, { data: (await r.value.read(name)) as Float32Array, shape: [...info.shape] });
  }
  await r.value.close();
  return out;
}

test('gradients of the MSE loss for all 212 tiny-UNet weights match PyTorch autograd', async (t) => {
  const [inputs, expected, weights, grads] = await Promise.all([
    readAll('inputs.safetensors'),
    readAll('expected.safetensors'),
    readAll('diffusion_pytorch_model.safetensors'),
    readAll('grads.safetensors'),
  ]);
  const loaded = await loadDiffusersUNet(REF, { batch: 2, height: 16, width: 16, sequenceLength: 77 });
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
  const lifted = weightsAsInputs(loaded.value.model);
  await loaded.value.close();
  const names = lifted.weights.map((w) => w.name);
  assert.equal(names.length, 212);
  const forward = withMseLoss(lifted.model.graph, { prediction: 'out_sample' });
  const training = buildTrainingGraph(forward, { loss: 'loss', wrt: names });
  assert.ok(training.ok, training.ok ? '' : training.error.message);
  const s = await openSession(encodeModel({ ...lifted.model, graph: training.value }), { threads: 2 });
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of inputs) feeds[name] = new ort.Tensor('float32', t.data, t.shape);
  for (const name of names) {
    const w = weights.get(name);
    assert.ok(w, `the checkpoint lacks ${name}`);
    feeds[name] = new ort.Tensor('float32', w.data, w.shape);
  }
  let out: Record<string, ort.Tensor>;
  try {
    out = await s.value.run(feeds);
  } finally {
    await s.value.release();
  }
  const loss = (out['loss']?.data as Float32Array)[0] as number;
  const refLoss = (expected.get('loss')?.data as Float32Array)[0] as number;
  assert.ok(Math.abs(loss - refLoss) <= 1e-5 * refLoss, `loss ${loss} vs ${refLoss}`);
  let worst = { name: '', ratio: 0 };
  for (const name of names) {
    const ref = grads.get(name)?.data as Float32Array;
    const got = out[`grad.${name}`]?.data as Float32Array | undefined;
    assert.ok(got, `no gradient for ${name}`);
    assert.equal(got.length, ref.length, name);
    let maxRef = 0;
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(ref[i] as number));
      maxDiff = Math.max(maxDiff, Math.abs((got[i] as number) - (ref[i] as number)));
    }
    const ratio = maxDiff / maxRef;
    if (ratio > worst.ratio) worst = { name, ratio };
    assert.ok(ratio <= 1e-3, `grad.${name}: max |Δ| ${maxDiff} is ${ratio} × its max |grad| ${maxRef}`);
  }
  t.diagnostic(
    `loss ${loss} (reference ${refLoss}); worst gradient ${worst.name}: ${worst.ratio.toExponential(2)} × max |grad|`,
  );
});
