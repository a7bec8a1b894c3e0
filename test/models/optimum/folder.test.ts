import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cpuSessionFactory,
  describeModelFolder,
  openModelFolder,
} from '../../../src/models/optimum/index.js';
import { defaultModels, fakeSessions, textEncoderMeta, writeFakeExport } from './fake-export.js';

test('a complete export is described and its signature read from session metadata', async () => {
  const models = defaultModels();
  const root = await writeFakeExport(models);
  const opened: string[] = [];
  const r = await openModelFolder(root, fakeSessions(root, models, opened));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const { signature, folder } = r.value;
  assert.equal(signature.textEncoder.penultimate, 'hidden_states.1');
  assert.equal(signature.textEncoder.hiddenSize, 3);
  assert.equal(signature.textEncoder2.penultimate, 'hidden_states.2');
  assert.deepEqual(signature.textEncoder2.pooled, { name: 'text_embeds', size: 4 });
  assert.deepEqual(signature.unet, {
    kind: 'onnx',
    file: join(root, 'unet', 'model.onnx'),
    timestepType: 'float32',
    timestepRank: 0,
    crossAttentionDim: 8,
    textEmbedsDim: 4,
    timeIdsDim: 6,
  });
  assert.equal(signature.vae.encoderOutput, 'latent_parameters');
  assert.equal(folder.vaeScalingFactor, 0.13025);
  assert.equal(folder.forceZerosForEmptyPrompt, true);
  assert.equal(r.value.tokenizer2.padId, 0);
  assert.equal(r.value.tokenizer.padId, r.value.tokenizer.eosId);
  // Each model was opened once, one at a time.
  assert.deepEqual(opened.sort(), ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder', 'vae_encoder']);
});

test('every missing file is named at once', async () => {
  const models = defaultModels();
  const root = await writeFakeExport(models);
  await rm(join(root, 'text_encoder_2', 'model.onnx'));
  await rm(join(root, 'unet', 'model.onnx'));
  await rm(join(root, 'tokenizer_2', 'merges.txt'));
  await rm(join(root, 'model_index.json'));
  const r = await describeModelFolder(root);
  assert.ok(!r.ok);
  assert.deepEqual(
    r.error.problems.map((p) => `${p.file.slice(root.length + 1)}: ${p.message}`),
    [
      'model_index.json: missing',
      'tokenizer_2/vocab.json: missing (a tokenizer needs vocab.json + merges.txt or tokenizer.json)',
      'text_encoder_2/model.onnx: missing',
      'unet/model.onnx: missing (nor is there a diffusers config.json beside it)',
    ],
  );
  assert.match(r.error.message, /is not a usable SDXL model folder:\n {2}.*model_index\.json: missing/);
});

test('unexpected tensor names, dtypes and shapes are reported, naming the file', async () => {
  const models = defaultModels();
  models['vae_encoder'] = {
    inputs: [{ name: 'pixels', type: 'float32', shape: ['b', 3, 'h', 'w'] }],
    outputs: [{ name: 'latent_parameters', type: 'float32', shape: ['b', 4, 'h', 'w'] }],
  };
  models['text_encoder'] = {
    ...textEncoderMeta(3, 2, 'pooler_output', 3),
    inputs: [{ name: 'input_ids', type: 'float32', shape: ['b', 77] }],
  };
  models['text_encoder_2'] = { ...textEncoderMeta(6, 3, 'pooler_output', 4) };
  const root = await writeFakeExport(models);
  const r = await openModelFolder(root, fakeSessions(root, models));
  assert.ok(!r.ok);
  const lines = r.error.problems.map((p) => `${p.file.slice(root.length + 1)}: ${p.message}`);
  assert.deepEqual(lines, [
    'text_encoder/model.onnx: input "input_ids" is float32, expected int64 or int32',
    'text_encoder_2/model.onnx: has no output "text_embeds" (its outputs: last_hidden_state, pooler_output, hidden_states.0, hidden_states.1, hidden_states.2, hidden_states.3)',
    'vae_encoder/model.onnx: has no input named "sample" (its inputs: pixels)',
    'vae_encoder/model.onnx: output "latent_parameters" has shape [b, 4, h, w], expected 8 at axis 1',
  ]);
});

test('older exports (int32 ids, int64 [1] timestep, latent_sample) are accepted', async () => {
  const models = defaultModels();
  for (const te of ['text_encoder', 'text_encoder_2'])
    models[te]!.inputs = [{ name: 'input_ids', type: 'int32', shape: ['batch', 77] }];
  models['unet']!.inputs[1] = { name: 'timestep', type: 'int64', shape: [1] };
  models['vae_encoder']!.outputs = [{ name: 'latent_sample', type: 'float32', shape: ['b', 4, 'h', 'w'] }];
  models['vae_encoder']!.inputs = [{ name: 'sample', type: 'float16', shape: ['b', 3, 'H', 'W'] }];
  const root = await writeFakeExport(models);
  const r = await openModelFolder(root, fakeSessions(root, models));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.value.signature.textEncoder.inputIdsType, 'int32');
  assert.equal(r.value.signature.vae.encoderOutput, 'latent_sample');
  assert.equal(r.value.signature.vae.encoderInputType, 'float16');
  assert.equal(r.value.signature.vae.decoderInputType, 'float32');
  assert.ok(
    r.value.signature.unet.kind === 'onnx' &&
      r.value.signature.unet.timestepType === 'int64' &&
      r.value.signature.unet.timestepRank === 1,
  );
});

test('widths that do not fit together are reported: cross-attention and pooled text', async () => {
  const models = defaultModels();
  models['unet']!.inputs[2] = { name: 'encoder_hidden_states', type: 'float32', shape: ['batch', 77, 2048] };
  models['unet']!.inputs[3] = { name: 'text_embeds', type: 'float32', shape: ['batch', 1280] };
  const root = await writeFakeExport(models);
  const r = await openModelFolder(root, fakeSessions(root, models));
  assert.ok(!r.ok);
  assert.deepEqual(
    r.error.problems.map((p) => p.message),
    [
      'cross-attention width 2048 ≠ 3 (text_encoder) + 5 (text_encoder_2)',
      "text_embeds width 1280 ≠ text_encoder_2's text_embeds width 4",
    ],
  );
});

test('a diffusers UNet beside the Optimum parts is used and checked against the encoders', async () => {
  const models = defaultModels();
  delete (models as Record<string, unknown>)['unet'];
  const root = await writeFakeExport(models);
  await mkdir(join(root, 'unet'), { recursive: true });
  const config = {
    _class_name: 'UNet2DConditionModel',
    addition_embed_type: 'text_time',
    cross_attention_dim: 8,
    projection_class_embeddings_input_dim: 4 + 6 * 16,
    addition_time_embed_dim: 16,
    in_channels: 4,
  };
  await writeFile(join(root, 'unet', 'config.json'), JSON.stringify(config));
  const noWeights = await describeModelFolder(root);
  assert.ok(!noWeights.ok);
  assert.match(
    noWeights.error.message,
    /unet\/diffusion_pytorch_model\.safetensors: missing \(its config\.json is there, its weights are not\)/,
  );
  await writeFile(join(root, 'unet', 'diffusion_pytorch_model.safetensors'), '');
  const r = await openModelFolder(root, fakeSessions(root, models));
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual(r.value.signature.unet, {
    kind: 'diffusers',
    file: join(root, 'unet', 'config.json'),
    crossAttentionDim: 8,
    textEmbedsDim: 4,
    timeIdsDim: 6,
    inChannels: 4,
  });

  await writeFile(
    join(root, 'unet', 'config.json'),
    JSON.stringify({ ...config, cross_attention_dim: 2048, projection_class_embeddings_input_dim: 2816 }),
  );
  const bad = await openModelFolder(root, fakeSessions(root, models));
  assert.ok(!bad.ok);
  assert.deepEqual(
    bad.error.problems.map((p) => p.message),
    ['projection_class_embeddings_input_dim 2816 ≠ text_embeds 4 + 6 (or 5) × addition_time_embed_dim 16'],
  );
});

test('a model file onnxruntime cannot load is reported per file, not thrown', async () => {
  const models = defaultModels();
  const root = await writeFakeExport(models);
  const r = await openModelFolder(root, cpuSessionFactory);
  assert.ok(!r.ok);
  const files = r.error.problems.map((p) => p.file.slice(root.length + 1));
  assert.deepEqual(files, [
    'text_encoder/model.onnx',
    'text_encoder_2/model.onnx',
    'vae_encoder/model.onnx',
    'vae_decoder/model.onnx',
    'unet/model.onnx',
  ]);
  assert.ok(r.error.problems.every((p) => p.message.startsWith('onnxruntime cannot load it (')));
});

test('a UNet folder given apart from the export replaces ROOT/unet', async () => {
  const models = defaultModels();
  const root = await writeFakeExport(models);
  const tuned = join(root, '..', `tuned-${Date.now()}`);
  await mkdir(tuned, { recursive: true });
  const config = {
    addition_embed_type: 'text_time',
    cross_attention_dim: 8,
    projection_class_embeddings_input_dim: 4 + 6 * 8,
    addition_time_embed_dim: 8,
    in_channels: 4,
  };
  await writeFile(join(tuned, 'config.json'), JSON.stringify(config));
  await writeFile(join(tuned, 'diffusion_pytorch_model.safetensors'), '');
  const r = await openModelFolder(root, fakeSessions(root, models), { unet: tuned });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.value.folder.unet.diffusers?.dir, tuned);
  assert.equal(r.value.signature.unet.kind, 'diffusers');
  assert.equal(r.value.signature.unetOnnx, undefined);
});
