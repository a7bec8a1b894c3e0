import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors, writeSafetensors } from '../../src/formats/safetensors.js';
import type { Dtype } from '../../src/formats/safetensors.js';
import { referencePath } from '../fixtures/reference-data.js';

const ref = referencePath('unet-tiny-sdxl');

test('the shared UNet weights have the names and shapes params.json lists', async () => {
  const params = JSON.parse(await readFile(join(ref, 'params.json'), 'utf8')) as {
    total_parameters: number;
    parameters: { name: string; shape: number[]; numel: number }[];
  };
  const r = await openSafetensors(join(ref, 'diffusion_pytorch_model.safetensors'));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const st = r.value;
  assert.deepEqual(st.metadata, { format: 'pt' });
  assert.equal(st.tensors.size, params.parameters.length);
  let total = 0;
  for (const p of params.parameters) {
    const info = st.tensors.get(p.name);
    assert.ok(info, `missing ${p.name}`);
    assert.deepEqual(info.shape, p.shape, p.name);
    assert.equal(info.dtype, 'F32');
    total += info.byteLength / 4;
  }
  assert.equal(total, params.total_parameters);
  const w = await st.read('conv_in.bias');
  assert.ok(w instanceof Float32Array && w.length === 32 && w.every(Number.isFinite));
  await st.close();
});

test('rewriting the shared reference files with moe gives the same bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-st-ref-'));
  for (const file of ['inputs.safetensors', 'expected.safetensors', 'diffusion_pytorch_model.safetensors']) {
    const r = await openSafetensors(join(ref, file));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const tensors = [];
    for (const [name, info] of r.value.tensors) {
      tensors.push({ name, dtype: info.dtype as Dtype, shape: info.shape, data: await r.value.read(name) });
    }
    await writeSafetensors(join(dir, file), tensors, r.value.metadata);
    await r.value.close();
    const sha = async (p: string) =>
      createHash('sha256')
        .update(await readFile(p))
        .digest('hex');
    assert.equal(await sha(join(dir, file)), await sha(join(ref, file)), file);
  }
  const inputs = await openSafetensors(join(ref, 'inputs.safetensors'));
  assert.ok(inputs.ok);
  assert.deepEqual([...(await inputs.value.read('timestep'))], [999, 350]);
  assert.deepEqual(inputs.value.tensors.get('encoder_hidden_states')?.shape, [2, 77, 64]);
  await inputs.value.close();
});
