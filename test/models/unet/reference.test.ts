// THE check of the UNet port: diffusers' own output for the shared tiny SDXL-family UNet, reproduced from
// its config.json and safetensors weights (tolerances from the reference README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertDiffusersUNet, loadDiffusersUNet } from '../../../src/models/unet/index.js';
import { encodeModel, openSession, ort } from '../../../src/onnx/index.js';
import type { OnnxSession } from '../../../src/onnx/index.js';
import { openSafetensors } from '../../../src/formats/safetensors.js';
import { referencePath } from '../../fixtures/reference-data.js';

const REF = referencePath('unet-tiny-sdxl');
const INPUTS = ['sample', 'timestep', 'encoder_hidden_states', 'text_embeds', 'time_ids'];

async function readAll(file: string): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
  const r = await openSafetensors(join(REF, file));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const out = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const [name, info] of r.value.tensors)
    out.set(name, { data: (await r.value.read(name)) as Float32Array, shape: [...info.shape] });
  await r.value.close();
  return out;
}

/** The UNet's inputs as the reference recorded them. */
function feedsFrom(
  inputs: ReadonlyMap<string, { data: Float32Array; shape: number[] }>,
): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of INPUTS) {
    const t = inputs.get(name)!;
    feeds[name] = new ort.Tensor('float32', t.data, t.shape);
  }
  return feeds;
}

/** Max |a − b|, failing with the first index past `tol`. */
function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= tol)) assert.fail(`${what}: index ${i}: ${actual[i]} vs ${expected[i]} (|Δ| ${d} > ${tol})`);
    worst = Math.max(worst, d);
  }
  return worst;
}

/** An output against the reference's tensor `key` in expected.safetensors, within the README's 1e-4. */
function assertExpected(
  output: ort.Tensor,
  expected: ReadonlyMap<string, { data: Float32Array }>,
  key: string,
): void {
  assertClose(output.data as Float32Array, expected.get(key)!.data, 1e-4, key);
}

async function session(): Promise<OnnxSession> {
  const loaded = await loadDiffusersUNet(REF, { debugOutputs: true });
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
  assert.equal(loaded.value.parameters, 1_038_948);
  const bytes = encodeModel(loaded.value.model);
  await loaded.value.close();
  const s = await openSession(bytes, { threads: 2 });
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  return s.value;
}

test('the tiny SDXL UNet reproduces diffusers: out_sample, loss, out_sample_t500 and activations', async () => {
  const [inputs, expected, activations] = await Promise.all([
    readAll('inputs.safetensors'),
    readAll('expected.safetensors'),
    readAll('activations.safetensors'),
  ]);
  const s = await session();
  try {
    assert.deepEqual(s.inputNames, INPUTS);
    assert.equal(s.outputNames[0], 'out_sample');
    const feeds = feedsFrom(inputs);
    const out = await s.run(feeds);
    const sample = out['out_sample']!;
    assert.deepEqual(sample.dims, [2, 4, 16, 16]);
    assertExpected(sample, expected, 'out_sample');

    const target = inputs.get('target')!.data;
    const o = sample.data as Float32Array;
    let sum = 0;
    for (let i = 0; i < o.length; i++) sum += (o[i]! - target[i]!) ** 2;
    const loss = sum / o.length;
    const want = expected.get('loss')!.data[0]!;
    assert.ok(Math.abs(loss - want) / want <= 1e-5, `loss ${loss} vs ${want}`);

    // Spatial activations are batch element 0 only; embedding vectors cover the batch.
    for (const [name, ref] of activations) {
      const got = out[`debug.${name}`];
      assert.ok(got, `activation ${name} is exposed`);
      const data = (got.data as Float32Array).subarray(0, ref.data.length);
      assertClose(data, ref.data, 1e-4, name);
    }

    // A scalar timestep broadcasts to the batch.
    const t500 = await s.run(
      { ...feeds, timestep: new ort.Tensor('float32', Float32Array.from([500]), []) },
      ['out_sample'],
    );
    assertExpected(t500['out_sample']!, expected, 'out_sample_t500');
  } finally {
    await s.release();
  }
});

test('the converted folder loads with external data from OUT_DIR/model.onnx', async () => {
  const out = mkdtempSync(join(tmpdir(), 'moe-unet-'));
  try {
    const converted = await convertDiffusersUNet(REF, out, {
      save: { externalData: 'always', minExternalBytes: 0 },
    });
    assert.ok(converted.ok, converted.ok ? '' : converted.error.message);
    assert.equal(converted.value.modelPath, join(out, 'model.onnx'));
    assert.ok(statSync(join(out, 'model.onnx_data')).size >= 1_038_948 * 4);
    const s = await openSession(join(out, 'model.onnx'), { threads: 2 });
    assert.ok(s.ok, s.ok ? '' : s.error.message);
    const inputs = await readAll('inputs.safetensors');
    const expected = await readAll('expected.safetensors');
    const res = await s.value.run(feedsFrom(inputs));
    await s.value.release();
    assertExpected(res['out_sample']!, expected, 'out_sample');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('every intermediate has a static shape (symbolic dims named), for autodiff and memory planning', async () => {
  for (const [options, numeric] of [
    [{}, false],
    [{ batch: 2, height: 16, width: 16, sequenceLength: 77 }, true],
  ] as const) {
    const loaded = await loadDiffusersUNet(REF, options);
    assert.ok(loaded.ok);
    await loaded.value.close();
    const vague = loaded.value.model.graph.valueInfo.filter(
      (v) => v.shape === undefined || v.shape.some((d) => d === '?' || (numeric && typeof d === 'string')),
    );
    // Only the flattened timestep: its input may be a scalar, [1] or [batch].
    assert.deepEqual(
      vague.map((v) => v.name),
      ['timestep.flat.out'],
    );
    const probs = loaded.value.model.graph.valueInfo.find(
      (v) => v.name === 'mid_block.attentions.0.transformer_blocks.0.attn2.probs.out',
    );
    assert.deepEqual(probs?.shape, numeric ? [2, 4, 64, 77] : ['batch', 4, 'height/2*width/2', 'sequence']);
  }
});
