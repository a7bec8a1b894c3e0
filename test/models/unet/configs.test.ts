// Configurations other than the shared reference: an SSD-1B-like asymmetric UNet (per-layer transformer
// depths, reverse_transformer_layers_per_block, per-block layers and heads) from a sharded F32
// checkpoint, and an SD-style one (conv projections, no text_time, resnet-only mid block) from F16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildUNet,
  loadDiffusersUNet,
  memoryWeights,
  parseUNetConfig,
  unetParameters,
} from '../../../src/models/unet/index.js';
import { encodeModel, openSession, ort } from '../../../src/onnx/index.js';
import { writeSafetensors } from '../../../src/formats/safetensors.js';
import type { TensorInMemory } from '../../../src/formats/safetensors.js';
import { seededRandom } from '../../../src/diffusion/random.js';
import { tempFolder } from '../../temp.js';

function randomWeights(config: object, seed: number): TensorInMemory[] {
  const spec = parseUNetConfig(config);
  assert.ok(spec.ok, spec.ok ? '' : spec.error.message);
  // Seeded, so the random weights are the same on every run.
  const next = seededRandom(seed);
  return [...unetParameters(spec.value)].map(([name, shape]) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const fanIn = shape.length > 1 ? n / (shape[0] as number) : 1;
    // Norm scales near 1, everything else uniform in ±1/√fan-in, as torch initialises Linear and Conv.
    const isNormScale = /norm\w*\.weight$/.test(name);
    const [base, spread] = isNormScale ? [1, 0.1] : [0, 1 / Math.sqrt(fanIn)];
    return { name, shape, data: Float32Array.from({ length: n }, () => base + (next() * 2 - 1) * spread) };
  });
}

const SSD1B_LIKE = {
  _class_name: 'UNet2DConditionModel',
  in_channels: 4,
  out_channels: 4,
  block_out_channels: [16, 32, 48],
  down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
  up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
  layers_per_block: [1, 2, 1],
  attention_head_dim: [1, 2, 3],
  transformer_layers_per_block: [1, [2, 1], [1]],
  reverse_transformer_layers_per_block: [
    [1, 2],
    [2, 1, 1],
    [1, 1],
  ],
  mid_block_type: 'UNetMidBlock2DCrossAttn',
  use_linear_projection: true,
  addition_embed_type: 'text_time',
  addition_time_embed_dim: 8,
  projection_class_embeddings_input_dim: 80,
  cross_attention_dim: 32,
  norm_num_groups: 8,
};

const SD_STYLE = {
  block_out_channels: [8, 16],
  down_block_types: ['CrossAttnDownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D'],
  layers_per_block: 1,
  attention_head_dim: 2,
  mid_block_type: 'UNetMidBlock2D',
  cross_attention_dim: 12,
  norm_num_groups: 4,
  center_input_sample: true,
  downsample_padding: 0,
};

async function run(
  dir: string,
  feeds: Record<string, ort.Tensor>,
): Promise<{ out: ort.Tensor; nodes: string[]; names: string[] }> {
  const loaded = await loadDiffusersUNet(dir);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
  const bytes = encodeModel(loaded.value.model);
  await loaded.value.close();
  const s = await openSession(bytes, { threads: 1 });
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  try {
    const out = (await s.value.run(feeds))['out_sample']!;
    return { out, nodes: loaded.value.model.graph.nodes.map((n) => n.name), names: [...s.value.inputNames] };
  } finally {
    await s.value.release();
  }
}

const randn = (n: number, seed: number): Float32Array => {
  // Seeded, so the random weights are the same on every run.
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
};

test('an SSD-1B-like asymmetric UNet from a sharded checkpoint builds, runs and keeps its shape', async (t) => {
  const dir = tempFolder(t, 'moe-unet-ssd-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(SSD1B_LIKE));
  const weights = randomWeights(SSD1B_LIKE, 7);
  const half = Math.floor(weights.length / 2);
  await writeSafetensors(join(dir, 'part-1.safetensors'), weights.slice(0, half));
  await writeSafetensors(join(dir, 'part-2.safetensors'), weights.slice(half));
  const weightMap = Object.fromEntries(
    weights.map((w, i) => [w.name, i < half ? 'part-1.safetensors' : 'part-2.safetensors']),
  );
  writeFileSync(
    join(dir, 'diffusion_pytorch_model.safetensors.index.json'),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );

  const [b, h, w] = [3, 12, 8];
  const { out, nodes, names } = await run(dir, {
    sample: new ort.Tensor('float32', randn(b * 4 * h * w, 1), [b, 4, h, w]),
    timestep: new ort.Tensor('float32', Float32Array.from([10, 500, 990]), [b]),
    encoder_hidden_states: new ort.Tensor('float32', randn(b * 5 * 32, 2), [b, 5, 32]),
    text_embeds: new ort.Tensor('float32', randn(b * 32, 3), [b, 32]),
    time_ids: new ort.Tensor(
      'float32',
      Float32Array.from({ length: b * 6 }, (_v, i) => 8 * (i % 6)),
      [b, 6],
    ),
  });
  assert.deepEqual(names, ['sample', 'timestep', 'encoder_hidden_states', 'text_embeds', 'time_ids']);
  assert.deepEqual(out.dims, [b, 4, h, w]);
  assert.ok((out.data as Float32Array).every(Number.isFinite));
  // The asymmetric depths: two transformer blocks in down_blocks.1's first attention, one in its second,
  // and up_blocks.0's second attention has two.
  const has = (prefix: string): boolean => nodes.some((n) => n.startsWith(prefix));
  assert.ok(has('down_blocks.1.attentions.0.transformer_blocks.1.'));
  assert.ok(!has('down_blocks.1.attentions.1.transformer_blocks.1.'));
  assert.ok(has('up_blocks.0.attentions.1.transformer_blocks.1.'));
  assert.ok(!has('up_blocks.0.attentions.0.transformer_blocks.1.'));
  assert.ok(has('up_blocks.1.attentions.2.transformer_blocks.0.'));
  assert.ok(has('mid_block.attentions.0.transformer_blocks.0.'));
});

test('an SD-style UNet (conv projections, no text_time) from an fp16 variant file builds and runs', async (t) => {
  const dir = tempFolder(t, 'moe-unet-sd-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(SD_STYLE));
  const weights = randomWeights(SD_STYLE, 11).map((t) => ({ ...t, dtype: 'F16' as const }));
  // Written as diffusers' fp16 variant file, the only weights some model folders ship.
  await writeSafetensors(join(dir, 'diffusion_pytorch_model.fp16.safetensors'), weights);
  const { out, names } = await run(dir, {
    sample: new ort.Tensor('float32', randn(2 * 4 * 8 * 8, 4), [2, 4, 8, 8]),
    timestep: new ort.Tensor('float32', Float32Array.from([250]), [1]),
    encoder_hidden_states: new ort.Tensor('float32', randn(2 * 7 * 12, 5), [2, 7, 12]),
  });
  assert.deepEqual(names, ['sample', 'timestep', 'encoder_hidden_states']);
  assert.deepEqual(out.dims, [2, 4, 8, 8]);
  assert.ok((out.data as Float32Array).every(Number.isFinite));
});

test('a checkpoint that does not match its config is refused, naming the tensor', async (t) => {
  const dir = tempFolder(t, 'moe-unet-bad-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(SD_STYLE));
  const weights = randomWeights(SD_STYLE, 1);
  await writeSafetensors(join(dir, 'diffusion_pytorch_model.safetensors'), [
    ...weights.filter((t) => t.name !== 'conv_in.bias'),
    { name: 'extra.weight', shape: [1], data: new Float32Array(1) },
  ]);
  const missing = await loadDiffusersUNet(dir);
  assert.equal(missing.ok, false);
  if (!missing.ok) assert.match(missing.error.message, /weight conv_in\.bias is missing/);
  await writeSafetensors(join(dir, 'diffusion_pytorch_model.safetensors'), [
    ...weights,
    { name: 'extra.weight', shape: [1], data: new Float32Array(1) },
  ]);
  const extra = await loadDiffusersUNet(dir);
  assert.equal(extra.ok, false);
  if (!extra.ok)
    assert.match(extra.error.message, /1 checkpoint tensor\(s\) are not part of the network.*extra\.weight/);
});

test('a UNet builds from weights in memory, listing its weights in state_dict order', () => {
  const spec = parseUNetConfig(SD_STYLE);
  assert.ok(spec.ok);
  const tensors = new Map(
    randomWeights(SD_STYLE, 3).map((t) => [t.name, { shape: t.shape, data: t.data as Float32Array }]),
  );
  const model = buildUNet(spec.value, { weights: memoryWeights(tensors) });
  assert.deepEqual(model.graph.weights, [...unetParameters(spec.value).keys()]);
  assert.equal(model.graph.weights.length, tensors.size);
  tensors.delete('mid_block.resnets.0.conv1.weight');
  assert.throws(
    () => buildUNet(spec.value, { weights: memoryWeights(tensors) }),
    /mid_block\.resnets\.0\.conv1\.weight is missing/,
  );
});
