import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseUNetConfig } from '../../../src/models/unet/config.js';
import { TINY_UNET_CONFIG, unetParamSpecs, initUnetParams } from '../../../src/models/tiny/index.js';
import { Random } from '../../../src/models/math/random.js';
import { referencePath } from '../../fixtures/reference-data.js';

const ref = referencePath('unet-tiny-sdxl');

test('the tiny UNet config is the reference configuration, value for value', async () => {
  const config = JSON.parse(await readFile(join(ref, 'config.json'), 'utf8')) as unknown;
  assert.deepEqual(JSON.parse(JSON.stringify(TINY_UNET_CONFIG)), config);
});

test("parameter names, shapes and order match diffusers' state_dict for the reference config", async () => {
  const params = JSON.parse(await readFile(join(ref, 'params.json'), 'utf8')) as {
    parameters: { name: string; shape: number[] }[];
  };
  const spec = parseUNetConfig(TINY_UNET_CONFIG);
  assert.ok(spec.ok);
  const ours = unetParamSpecs(spec.value).map((p) => ({ name: p.name, shape: [...p.shape] }));
  assert.deepEqual(
    ours,
    params.parameters.map((p) => ({ name: p.name, shape: p.shape })),
  );
});

test('initialisation follows PyTorch defaults and is deterministic per seed', () => {
  const spec = parseUNetConfig(TINY_UNET_CONFIG);
  assert.ok(spec.ok);
  const a = initUnetParams(spec.value, new Random(3));
  const b = initUnetParams(spec.value, new Random(3));
  const byName = new Map(a.map((p) => [p.name, p.data]));
  assert.deepEqual(a[5]!.data, b[5]!.data);
  const w = byName.get('down_blocks.0.resnets.0.conv1.weight')!;
  const bound = 1 / Math.sqrt(32 * 9);
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...w) > 0.9 * bound && Math.min(...w) < -0.9 * bound);
  assert.ok(byName.get('conv_norm_out.weight')!.every((v) => v === 1));
  assert.ok(byName.get('down_blocks.1.attentions.0.norm.bias')!.every((v) => v === 0));
});
