// The tiny family's UNet width per level (generateTinyFamily's blockOutChannels, models.tiny's
// block_out_channels): written into unet/config.json and the weights, checked before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateTinyFamily,
  TINY_UNET_CONFIG,
  tinyUnetChannelsProblem,
} from '../../../src/models/tiny/index.js';
import { openSafetensors } from '../../../src/formats/safetensors.js';
import { cpuSessionFactory, openModelFolder } from '../../../src/models/optimum/index.js';

const base = await mkdtemp(join(tmpdir(), 'moe-tiny-channels-'));
test.after(() => rm(base, { recursive: true, force: true }));

test('wider levels are written into unet/config.json, the weights and the ONNX UNet; the rest is the reference config', async () => {
  const wide = await generateTinyFamily(join(base, 'wide'), { seed: 0, blockOutChannels: [32, 72] });
  assert.ok(wide.ok, wide.ok ? '' : wide.error.message);
  assert.deepEqual(wide.value.blockOutChannels, [32, 72]);
  const config = JSON.parse(await readFile(join(wide.value.dir, 'unet', 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.deepEqual(config, { ...JSON.parse(JSON.stringify(TINY_UNET_CONFIG)), block_out_channels: [32, 72] });
  const weights = await openSafetensors(join(wide.value.dir, 'unet', 'diffusion_pytorch_model.safetensors'));
  assert.ok(weights.ok);
  assert.deepEqual(weights.value.tensors.get('down_blocks.1.resnets.0.conv1.weight')?.shape, [72, 32, 3, 3]);
  assert.deepEqual(weights.value.tensors.get('mid_block.resnets.0.conv1.weight')?.shape, [72, 72, 3, 3]);
  await weights.value.close();
  // The model folder opens with the wider UNet (the ONNX graph is built from the written config).
  const opened = await openModelFolder(wide.value.dir, cpuSessionFactory);
  assert.ok(opened.ok, opened.ok ? '' : JSON.stringify(opened.error));

  const plain = await generateTinyFamily(join(base, 'plain'), { seed: 0 });
  assert.ok(plain.ok);
  assert.deepEqual(plain.value.blockOutChannels, [32, 64]);
  assert.deepEqual(
    JSON.parse(await readFile(join(plain.value.dir, 'unet', 'config.json'), 'utf8')),
    JSON.parse(JSON.stringify(TINY_UNET_CONFIG)),
  );
  // The text encoders and the VAE do not depend on the UNet's width.
  for (const f of ['text_encoder/model.onnx', 'text_encoder_2/model.onnx', 'vae_decoder/model.onnx'])
    assert.deepEqual(await readFile(join(wide.value.dir, f)), await readFile(join(plain.value.dir, f)), f);
});

test('widths that are not one multiple of 8 per level are refused with the fix, and nothing is written', async () => {
  const cases: [number[], RegExp][] = [
    [[32, 70], /level 1's 70 is not a multiple of norm_num_groups \(8/],
    [[32], /the tiny UNet has 2 levels, so it takes 2 widths/],
    [[32, 64, 128], /the tiny UNet has 2 levels/],
    [[0, 64], /level 0's 0 is not an integer from 1 to 512/],
    [[32, 1024], /level 1's 1024 is not an integer from 1 to 512/],
    [[32.5, 64], /level 0's 32.5 is not an integer/],
  ];
  for (const [channels, why] of cases) {
    const dir = join(base, `bad-${channels.join('-')}`);
    const r = await generateTinyFamily(dir, { blockOutChannels: channels });
    assert.ok(!r.ok, `${channels.join(',')} was accepted`);
    assert.equal(r.error.reason, 'bad-channels');
    assert.match(r.error.message, why);
    assert.match(r.error.message, /give 2 multiples of 8 from 8 to 512, one per level, e\.g\. \[32, 64\]/);
    await assert.rejects(stat(dir), { code: 'ENOENT' });
  }
  assert.equal(tinyUnetChannelsProblem([8, 512]), undefined);
  assert.equal(tinyUnetChannelsProblem([32, 72]), undefined);
});
