import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTinyFamily } from '../../../src/models/tiny/index.js';
import {
  cpuSessionFactory,
  decodeLatents,
  encodeImages,
  encodePrompts,
  openModelFolder,
} from '../../../src/models/optimum/index.js';
import type { OpenedModelFolder } from '../../../src/models/optimum/index.js';
import { syntheticBatch } from '../../../src/models/vae/synthetic.js';
import { openSafetensors } from '../../../src/formats/safetensors.js';
import * as ort from 'onnxruntime-node';

const base = await mkdtemp(join(tmpdir(), 'moe-tiny-'));
const first = await generateTinyFamily(join(base, 'a'), { seed: 7 });
assert.ok(first.ok, first.ok ? '' : first.error.message);
const family = first.value;

async function digests(dir: string, files: readonly { path: string }[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files)
    out[f.path] = createHash('sha256')
      .update(await readFile(join(dir, f.path)))
      .digest('hex');
  return out;
}

test('the same seed gives byte-identical files; another seed changes the weights, not the VAE', async () => {
  const again = await generateTinyFamily(join(base, 'b'), { seed: 7 });
  assert.ok(again.ok);
  const a = await digests(family.dir, family.files);
  assert.deepEqual(await digests(again.value.dir, again.value.files), a);
  const other = await generateTinyFamily(join(base, 'c'), { seed: 8 });
  assert.ok(other.ok);
  const c = await digests(other.value.dir, other.value.files);
  assert.notEqual(
    c['unet/diffusion_pytorch_model.safetensors'],
    a['unet/diffusion_pytorch_model.safetensors'],
  );
  assert.notEqual(c['text_encoder/model.onnx'], a['text_encoder/model.onnx']);
  assert.notEqual(c['text_encoder_2/model.onnx'], a['text_encoder_2/model.onnx']);
  assert.equal(c['vae_decoder/model.onnx'], a['vae_decoder/model.onnx']);
  assert.equal(c['tokenizer/vocab.json'], a['tokenizer/vocab.json']);
});

test('the layout is an SSD-1B Optimum export at tiny size, under 20 MB', () => {
  assert.deepEqual(
    family.files.map((f) => f.path),
    [
      'model_index.json',
      'scheduler/scheduler_config.json',
      'text_encoder/config.json',
      'text_encoder/model.onnx',
      'text_encoder_2/config.json',
      'text_encoder_2/model.onnx',
      'tokenizer/merges.txt',
      'tokenizer/special_tokens_map.json',
      'tokenizer/tokenizer_config.json',
      'tokenizer/vocab.json',
      'tokenizer_2/merges.txt',
      'tokenizer_2/special_tokens_map.json',
      'tokenizer_2/tokenizer_config.json',
      'tokenizer_2/vocab.json',
      'unet/config.json',
      'unet/diffusion_pytorch_model.safetensors',
      'unet/model.onnx',
      'vae_decoder/config.json',
      'vae_decoder/model.onnx',
      'vae_encoder/config.json',
      'vae_encoder/model.onnx',
    ],
  );
  assert.ok(family.totalBytes < 20 * 2 ** 20, `${family.totalBytes} bytes`);
});

test('a folder that is not empty is refused', async () => {
  const dir = join(base, 'busy');
  await mkdir(dir);
  await writeFile(join(dir, 'keep.txt'), 'mine');
  const r = await generateTinyFamily(dir);
  assert.ok(!r.ok);
  assert.equal(r.error.reason, 'not-empty');
  assert.equal(await readFile(join(dir, 'keep.txt'), 'utf8'), 'mine');
});

let opened: OpenedModelFolder | undefined;
async function model(): Promise<OpenedModelFolder> {
  if (opened) return opened;
  const r = await openModelFolder(family.dir, cpuSessionFactory);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  opened = r.value;
  return opened;
}

test('the loader and validator of real exports accept it, with the SDXL contract at tiny widths', async () => {
  const { signature, folder } = await model();
  assert.equal(signature.textEncoder.penultimate, 'hidden_states.1');
  assert.equal(signature.textEncoder.sequenceLength, 77);
  assert.equal((signature.textEncoder.hiddenSize ?? 0) + (signature.textEncoder2.hiddenSize ?? 0), 64);
  assert.deepEqual(signature.textEncoder2.pooled, { name: 'text_embeds', size: 64 });
  assert.equal(signature.unet.kind, 'diffusers');
  assert.equal(signature.unet.crossAttentionDim, 64);
  assert.equal(signature.unetOnnx?.timestepType, 'float32');
  assert.equal(signature.unetOnnx?.timestepRank, 0);
  assert.equal(signature.unetOnnx?.crossAttentionDim, 64);
  assert.equal(signature.unetOnnx?.textEmbedsDim, 64);
  assert.equal(signature.unetOnnx?.timeIdsDim, 6);
  assert.equal(signature.vae.encoderOutput, 'latent_parameters');
  assert.equal(folder.vaeScalingFactor, 0.13025);
  const scheduler = folder.schedulerConfig;
  assert.equal(scheduler['_class_name'], 'EulerDiscreteScheduler');
  assert.equal(scheduler['beta_schedule'], 'scaled_linear');
  assert.equal(scheduler['steps_offset'], 1);
  const unet = await openSafetensors(join(family.dir, 'unet', 'diffusion_pytorch_model.safetensors'));
  assert.ok(unet.ok);
  assert.equal(unet.value.tensors.size, 212);
  await unet.value.close();
});

test('prompts are encoded: words of the captions are single tokens, prompts differ, empty negatives are zero', async () => {
  const m = await model();
  for (const w of ['red', 'circle', 'background', 'triangle', 'yellow'])
    assert.deepEqual(m.tokenizer.tokenize(w), [`${w}</w>`]);
  const e = await encodePrompts(m, [
    'a red circle on a blue background',
    'a red circle on a blue background',
    'a green square on a white background',
  ]);
  assert.equal(e.hiddenSize, 64);
  assert.equal(e.pooledSize, 64);
  const row = (i: number) => e.textEmbeds.subarray(i * 64, (i + 1) * 64);
  assert.deepEqual(row(0), row(1));
  const diff = row(0).reduce((s, v, i) => s + Math.abs(v - row(2)[i]!), 0) / 64;
  assert.ok(diff > 0.1, `pooled embeddings of different prompts differ by ${diff} on average`);
  const rms = Math.sqrt(e.encoderHiddenStates.reduce((s, v) => s + v * v, 0) / e.encoderHiddenStates.length);
  assert.ok(rms > 0.3 && rms < 5, `hidden-state scale ${rms}`);
  const neg = await encodePrompts(m, [''], { negative: true });
  assert.ok(neg.encoderHiddenStates.every((v) => v === 0) && neg.textEmbeds.every((v) => v === 0));
});

test('the VAE keeps synthetic shapes: decode(encode(x)) ≥ 20 dB PSNR at 64 and 128 px, unit-scale latents', async () => {
  const m = await model();
  for (const size of [64, 128]) {
    const count = 8;
    const images = syntheticBatch(12345 + size, count, size);
    const latents = await encodeImages(m, { data: images, shape: [count, 3, size, size] });
    assert.deepEqual(latents.shape, [count, 4, size / 4, size / 4]);
    const mean = latents.data.reduce((s, v) => s + v, 0) / latents.data.length;
    const std = Math.sqrt(latents.data.reduce((s, v) => s + (v - mean) ** 2, 0) / latents.data.length);
    assert.ok(std > 0.5 && std < 2, `latent std ${std}`);
    const decoded = await decodeLatents(m, latents);
    assert.deepEqual(decoded.shape, [count, 3, size, size]);
    const per = 3 * size * size;
    for (let i = 0; i < count; i++) {
      let se = 0;
      for (let j = 0; j < per; j++) {
        const v = Math.max(-1, Math.min(1, decoded.data[i * per + j]!));
        se += (v - images[i * per + j]!) ** 2;
      }
      // Values span [-1, 1]: peak-to-peak 2, the same PSNR as 8-bit pixels with peak 255.
      const psnr = 10 * Math.log10(4 / (se / per));
      assert.ok(psnr >= 20, `image ${i} at ${size}px: ${psnr.toFixed(2)} dB`);
    }
  }
});

test('end to end: encoded prompts and VAE latents drive the UNet to an output of the latent shape', async () => {
  const m = await model();
  const e = await encodePrompts(m, [
    'a red circle on a blue background',
    'a yellow cross on a black background',
  ]);
  const latents = await encodeImages(m, { data: syntheticBatch(3, 2, 64), shape: [2, 3, 64, 64] });
  const session = await ort.InferenceSession.create(join(family.dir, 'unet', 'model.onnx'));
  const out = await session.run({
    sample: new ort.Tensor('float32', latents.data, [...latents.shape]),
    timestep: new ort.Tensor('float32', Float32Array.from([500]), []),
    encoder_hidden_states: new ort.Tensor('float32', e.encoderHiddenStates, [2, 77, 64]),
    text_embeds: new ort.Tensor('float32', e.textEmbeds, [2, 64]),
    time_ids: new ort.Tensor(
      'float32',
      Float32Array.from([64, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64]),
      [2, 6],
    ),
  });
  await session.release();
  const sample = out['out_sample']!;
  assert.deepEqual(sample.dims, [2, 4, 16, 16]);
  const data = sample.data as Float32Array;
  assert.ok(data.every(Number.isFinite));
  // The two prompts condition the two rows differently.
  const half = data.length / 2;
  assert.ok(data.subarray(0, half).some((v, i) => Math.abs(v - data[half + i]!) > 1e-4));
});
