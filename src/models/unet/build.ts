/**
 * Builds SDXL's UNet2DConditionModel as an ONNX graph from a parsed config and a weight source, with the
 * tensor names of an Optimum export: sample, timestep, encoder_hidden_states, text_embeds, time_ids →
 * out_sample. Weights keep their diffusers names, so gradients and checkpoints map one to one.
 */
import { Builder } from '../../onnx/builder.js';
import type { Value } from '../../onnx/builder.js';
import { GraphBuildError } from '../../onnx/graph-builder.js';
import type { WeightData } from '../../onnx/graph-builder.js';
import type { Dim, Model } from '../../onnx/ir.js';
import type { AttentionSpec, DownBlockSpec, MidBlockSpec, UNetSpec, UpBlockSpec } from './config.js';
import { sinusoidEmbedding, timestepEmbedding } from './embeddings.js';
import { downsample, resnetBlock, upsample } from './resnet.js';
import { conv2d, groupNorm } from './modules.js';
import type { NormSettings } from './resnet.js';
import { transformer2d } from './transformer.js';

export interface BuildUNetOptions {
  /** Looks a weight up by its diffusers name (`dims` is the shape the config implies). */
  readonly weights: (name: string, dims: readonly number[]) => WeightData | undefined;
  /** Fixed sizes make every shape static; symbolic `batch`, `height`, `width` by default. */
  readonly batch?: number;
  readonly height?: number;
  readonly width?: number;
  /** Token count of encoder_hidden_states. @default symbolic 'sequence' */
  readonly sequenceLength?: number;
  /**
   * How many SDXL micro-conditioning ids `time_ids` holds: 6 for base models, 5 for the SDXL refiner.
   * @default 5 when projection_class_embeddings_input_dim − 5·addition_time_embed_dim is 1280 (the refiner's
   * pooled width) and 6 otherwise
   */
  readonly timeIds?: number;
  /**
   * Also output intermediate activations as `debug.<name>` (time_proj.out, emb, down_blocks.0.out, …;
   * the names of the shared reference's activations.safetensors). For debugging and tests.
   */
  readonly debugOutputs?: boolean;
  readonly producerVersion?: string;
}

export const UNET_INPUTS = [
  'sample',
  'timestep',
  'encoder_hidden_states',
  'text_embeds',
  'time_ids',
] as const;
export const UNET_OUTPUT = 'out_sample';

/** The number of time ids a text_time UNet expects (see BuildUNetOptions.timeIds). */
export function defaultTimeIds(spec: UNetSpec): number {
  const tt = spec.textTime;
  if (!tt) return 0;
  return tt.inputDim - 5 * tt.timeEmbedDim === 1280 && tt.inputDim - 6 * tt.timeEmbedDim !== 1280 ? 5 : 6;
}

/**
 * The parameters a config implies, name → shape, in build order (what a diffusers state_dict of this
 * config holds). Useful to initialise weights or check a checkpoint.
 */
export function unetParameters(spec: UNetSpec, timeIds?: number): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  buildUNet(spec, {
    ...(timeIds !== undefined ? { timeIds } : {}),
    weights: (name, dims) => {
      shapes.set(name, dims);
      return { dtype: 'float32', dims, data: { kind: 'lazy', byteLength: 0, read: () => new Uint8Array(0) } };
    },
  });
  return shapes;
}

/** Records an intermediate activation under its debug name and passes it through. */
type Tap = (name: string, v: Value) => Value;

/** Builds the graph. Throws GraphBuildError for a missing or mis-shaped weight. */
export function buildUNet(spec: UNetSpec, options: BuildUNetOptions): Model {
  const b = new Builder({
    name: 'unet',
    weights: options.weights,
    ...(options.producerVersion ? { producerVersion: options.producerVersion } : {}),
  });
  const taps = new Map<string, Value>();
  const tap: Tap = (name, v) => {
    taps.set(name, v);
    return v;
  };
  const batch: Dim = options.batch ?? 'batch';
  const height: Dim = options.height ?? 'height';
  const width: Dim = options.width ?? 'width';
  const norm: NormSettings = { groups: spec.normGroups, eps: spec.normEps };

  let sample = b.input('sample', 'float32', [batch, spec.inChannels, height, width]);
  // A scalar, [1] or [batch] timestep: flattened, then broadcast to the batch as diffusers does.
  const timestep = b.input('timestep', 'float32');
  const context = b.input('encoder_hidden_states', 'float32', [
    batch,
    options.sequenceLength ?? 'sequence',
    spec.crossAttentionDim,
  ]);

  let emb = timeEmbedding(b, spec, sample, timestep, tap);
  if (spec.textTime) emb = b.add(emb, textTimeEmbedding(b, spec, spec.textTime, options, batch, tap), 'emb');
  tap('emb', emb);
  // Every resnet applies SiLU to the embedding before its own projection: compute it once.
  const tembAct = b.silu(emb, 'emb_act');

  if (spec.centerInputSample) sample = b.sub(b.scale(sample, 2, 'center.scale'), b.scalar(1), 'center');
  const c0 = spec.blockOutChannels[0] as number;
  let h = tap('conv_in.out', conv2d(b, sample, 'conv_in', spec.inChannels, c0, spec.convInKernel));
  h = blocks({ b, context, tembAct, spec, norm }, h, tap);
  h = b.silu(groupNorm(b, h, 'conv_norm_out', c0, norm.groups, norm.eps), 'conv_act');
  h = conv2d(b, h, 'conv_out', c0, spec.outChannels, spec.convOutKernel);
  b.output(h, 'out_sample');
  if (options.debugOutputs) for (const [name, v] of taps) b.output(v, `debug.${name}`);
  return b.build();
}

/** The timestep, broadcast to the batch, through the sinusoidal features and the time MLP. */
function timeEmbedding(b: Builder, spec: UNetSpec, sample: Value, timestep: Value, tap: Tap): Value {
  const t = b.expand(
    b.reshape(timestep, [-1], 'timestep.flat'),
    b.shapeOf(sample, 0, 1, 'batch_size'),
    'timestep.batch',
  );
  const tProj = tap(
    'time_proj.out',
    sinusoidEmbedding(b, t, spec.timestepInputDim, spec.flipSinToCos, spec.freqShift, 'time_proj'),
  );
  return tap(
    'time_embedding.out',
    b.scope('time_embedding', () => timestepEmbedding(b, tProj, spec.timestepInputDim, spec.timeEmbedDim)),
  );
}

/**
 * SDXL's added conditioning: the `text_embeds` and `time_ids` inputs, the time ids' sinusoidal
 * features beside the pooled text embedding, through the add_embedding MLP.
 */
function textTimeEmbedding(
  b: Builder,
  spec: UNetSpec,
  tt: NonNullable<UNetSpec['textTime']>,
  options: BuildUNetOptions,
  batch: Dim,
  tap: Tap,
): Value {
  const ids = options.timeIds ?? defaultTimeIds(spec);
  const textDim = tt.inputDim - ids * tt.timeEmbedDim;
  if (textDim <= 0) {
    throw new GraphBuildError(
      `projection_class_embeddings_input_dim ${tt.inputDim} leaves no room for text_embeds with ${ids} time ids of ${tt.timeEmbedDim} features`,
    );
  }
  const textEmbeds = b.input('text_embeds', 'float32', [batch, textDim]);
  const timeIds = b.input('time_ids', 'float32', [batch, ids]);
  const idProj = tap(
    'add_time_proj.out',
    sinusoidEmbedding(
      b,
      b.reshape(timeIds, [-1], 'time_ids.flat'),
      tt.timeEmbedDim,
      spec.flipSinToCos,
      spec.freqShift,
      'add_time_proj',
    ),
  );
  const addIn = tap(
    'add_embedding.in',
    b.concat(
      [textEmbeds, b.reshape(idProj, [-1, ids * tt.timeEmbedDim], 'add_time_proj.rows')],
      1,
      'add_embedding.in',
    ),
  );
  return tap(
    'add_embedding.out',
    b.scope('add_embedding', () => timestepEmbedding(b, addIn, tt.inputDim, spec.timeEmbedDim)),
  );
}

/** The down blocks (keeping their skips), the mid block, and the up blocks that consume the skips. */
function blocks(k: BlockContext, input: Value, tap: Tap): Value {
  const { b, spec } = k;
  let h = input;
  const skips: Value[] = [h];
  spec.down.forEach((block, i) => {
    h = b.scope(`down_blocks.${i}`, () => downBlock(k, h, block, i, skips, tap));
    tap(`down_blocks.${i}.out`, h);
  });
  if (spec.mid) {
    const mid = spec.mid;
    h = b.scope('mid_block', () => midBlock(k, h, mid));
    tap('mid_block.out', h);
  }
  spec.up.forEach((block, i) => {
    h = b.scope(`up_blocks.${i}`, () => upBlock(k, h, block, skips));
    tap(`up_blocks.${i}.out`, h);
  });
  return h;
}

/** What every block reads besides its input: the builder, the text context, the activated embedding, the config. */
interface BlockContext {
  readonly b: Builder;
  readonly context: Value;
  readonly tembAct: Value;
  readonly spec: UNetSpec;
  readonly norm: NormSettings;
}

/** `resnets.j`: a ResnetBlock2D from inC to outC channels, its output divided by outputScale. */
function resnetLayer(
  k: BlockContext,
  x: Value,
  j: number,
  inC: number,
  outC: number,
  outputScale: number,
): Value {
  return k.b.scope(`resnets.${j}`, () =>
    resnetBlock(k.b, x, k.tembAct, inC, outC, k.spec.timeEmbedDim, k.norm, outputScale),
  );
}

/** `attentions.j`: a Transformer2DModel of `layers` transformer blocks over `channels`, attending to the context. */
function attentionLayer(
  k: BlockContext,
  x: Value,
  j: number,
  channels: number,
  attention: AttentionSpec,
  layers: number,
): Value {
  return k.b.scope(`attentions.${j}`, () =>
    transformer2d(
      k.b,
      x,
      k.context,
      channels,
      attention,
      layers,
      k.spec.normGroups,
      k.spec.useLinearProjection,
    ),
  );
}

function downBlock(
  k: BlockContext,
  input: Value,
  block: DownBlockSpec,
  index: number,
  skips: Value[],
  tap: Tap,
): Value {
  const out = block.outChannels;
  let h = input;
  for (let j = 0; j < block.layers; j++) {
    h = resnetLayer(k, h, j, j === 0 ? block.inChannels : out, out, k.spec.resnetOutScaleFactor);
    if (block.attention)
      h = attentionLayer(k, h, j, out, block.attention, block.attention.transformerLayers[j] ?? 1);
    skips.push(tap(`down_blocks.${index}.res.${j}`, h));
  }
  if (block.addDownsample) {
    h = downsample(k.b, h, out, k.spec.downsamplePadding);
    skips.push(tap(`down_blocks.${index}.res.${block.layers}`, h));
  }
  return h;
}

/** A resnet, then (cross-attention mid blocks) an attention and another resnet per transformer layer entry. */
function midBlock(k: BlockContext, input: Value, mid: MidBlockSpec): Value {
  const scale = k.spec.midBlockScaleFactor;
  let x = resnetLayer(k, input, 0, mid.channels, mid.channels, scale);
  if (mid.type === 'UNetMidBlock2DCrossAttn') {
    mid.attention.transformerLayers.forEach((layers, j) => {
      x = attentionLayer(k, x, j, mid.channels, mid.attention, layers);
      x = resnetLayer(k, x, j + 1, mid.channels, mid.channels, scale);
    });
  }
  return x;
}

function upBlock(k: BlockContext, input: Value, block: UpBlockSpec, skips: Value[]): Value {
  const out = block.outChannels;
  let h = input;
  for (let j = 0; j < block.layers; j++) {
    const skip = skips.pop();
    if (skip === undefined)
      throw new Error('the up blocks consume more skip connections than the down blocks made');
    const skipC = j === block.layers - 1 ? block.inChannels : out;
    const inC = j === 0 ? block.prevOutputChannels : out;
    const x = k.b.concat([h, skip], 1, `resnets.${j}.concat`);
    h = resnetLayer(k, x, j, inC + skipC, out, k.spec.resnetOutScaleFactor);
    if (block.attention)
      h = attentionLayer(k, h, j, out, block.attention, block.attention.transformerLayers[j] ?? 1);
  }
  if (block.addUpsample) h = upsample(k.b, h, out);
  return h;
}
