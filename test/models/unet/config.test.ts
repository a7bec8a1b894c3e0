import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultTimeIds, parseUNetConfig, unetParameters } from '../../../src/models/unet/index.js';
import { referencePath } from '../../fixtures/reference-data.js';

const REF_CONFIG = JSON.parse(readFileSync(referencePath('unet-tiny-sdxl', 'config.json'), 'utf8')) as Record<
  string,
  unknown
>;

test('the reference config: heads from attention_head_dim, reversed for up blocks, text_time dims', () => {
  const r = parseUNetConfig(REF_CONFIG);
  assert.ok(r.ok);
  const s = r.value;
  assert.deepEqual(
    s.down.map((d) => [d.type, d.inChannels, d.outChannels, d.layers, d.attention?.heads, d.addDownsample]),
    [
      ['DownBlock2D', 32, 32, 1, undefined, true],
      ['CrossAttnDownBlock2D', 32, 64, 1, 4, false],
    ],
  );
  assert.deepEqual(
    s.up.map((u) => [
      u.type,
      u.prevOutputChannels,
      u.outChannels,
      u.inChannels,
      u.layers,
      u.attention?.heads,
      u.addUpsample,
    ]),
    [
      ['CrossAttnUpBlock2D', 64, 64, 32, 2, 4, true],
      ['UpBlock2D', 64, 32, 32, 2, undefined, false],
    ],
  );
  assert.equal(s.mid?.type, 'UNetMidBlock2DCrossAttn');
  assert.deepEqual(s.textTime, { timeEmbedDim: 16, inputDim: 160 });
  assert.equal(s.timeEmbedDim, 128);
});

test('SDXL base defaults: an int transformer_layers_per_block list is reversed for the up blocks', () => {
  const r = parseUNetConfig({
    ...REF_CONFIG,
    block_out_channels: [320, 640, 1280],
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
    attention_head_dim: [5, 10, 20],
    transformer_layers_per_block: [1, 2, 10],
    layers_per_block: 2,
    norm_num_groups: 32,
  });
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.up.map((u) => u.attention?.transformerLayers),
    [[10, 10, 10], [2, 2, 2], undefined],
  );
  assert.deepEqual(
    r.value.mid?.type === 'UNetMidBlock2DCrossAttn' && r.value.mid.attention.transformerLayers,
    [10],
  );
  assert.deepEqual(
    r.value.up.map((u) => u.attention?.heads),
    [20, 10, undefined],
  );
});

test('unsupported options are refused naming the option and its value', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ class_embed_type: 'timestep' }, 'class_embed_type', /unsupported class_embed_type = "timestep"/],
    [{ act_fn: 'gelu' }, 'act_fn', /act_fn = "gelu".*only silu/],
    [{ addition_embed_type: 'text' }, 'addition_embed_type', /addition_embed_type = "text"/],
    [{ down_block_types: ['DownBlock2D', 'AttnDownBlock2D'] }, 'down_block_types', /"AttnDownBlock2D"/],
    [{ mid_block_type: 'UNetMidBlock2DSimpleCrossAttn' }, 'mid_block_type', /UNetMidBlock2DSimpleCrossAttn/],
    [{ resnet_time_scale_shift: 'scale_shift' }, 'resnet_time_scale_shift', /"scale_shift"/],
    [{ num_attention_heads: 8 }, 'num_attention_heads', /num_attention_heads = 8/],
    [{ transformer_layers_per_block: [1, [1, 1]] }, 'reverse_transformer_layers_per_block', /asymmetric/],
    [{ attention_head_dim: [2, 5] }, 'attention_head_dim', /64 channels, 5 heads/],
    [{ up_block_types: ['UpBlock2D'] }, 'up_block_types', /as long as down_block_types/],
    [{ norm_num_groups: 7 }, 'norm_num_groups', /divisor/],
  ];
  for (const [patch, option, message] of cases) {
    const r = parseUNetConfig({ ...REF_CONFIG, ...patch });
    assert.equal(r.ok, false, JSON.stringify(patch));
    if (!r.ok) {
      assert.equal(r.error.option, option);
      assert.match(r.error.message, message);
    }
  }
});

test("SDXL base's published config implies exactly its 2,567,463,684 parameters in 1680 tensors", () => {
  const sdxl = {
    addition_embed_type: 'text_time',
    addition_time_embed_dim: 256,
    attention_head_dim: [5, 10, 20],
    block_out_channels: [320, 640, 1280],
    cross_attention_dim: 2048,
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
    layers_per_block: 2,
    projection_class_embeddings_input_dim: 2816,
    transformer_layers_per_block: [1, 2, 10],
    up_block_types: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
    use_linear_projection: true,
  };
  const r = parseUNetConfig(sdxl);
  assert.ok(r.ok);
  const params = unetParameters(r.value);
  assert.equal(params.size, 1680);
  assert.equal(
    [...params.values()].reduce((s, d) => s + d.reduce((a, x) => a * x, 1), 0),
    2_567_463_684,
  );
  assert.deepEqual(
    params.get('up_blocks.0.attentions.2.transformer_blocks.9.ff.net.0.proj.weight'),
    [10240, 1280],
  );
  assert.equal(defaultTimeIds(r.value), 6);
  const refiner = parseUNetConfig({ ...sdxl, projection_class_embeddings_input_dim: 2560 });
  assert.ok(refiner.ok);
  assert.equal(defaultTimeIds(refiner.value), 5);
});
