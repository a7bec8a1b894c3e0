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
import type { UNetSpec, UpBlockSpec, DownBlockSpec } from './config.js';
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

/** Builds the graph. Throws GraphBuildError for a missing or mis-shaped weight. */
export function buildUNet(spec: UNetSpec, options: BuildUNetOptions): Model {
  const b = new Builder({
    name: 'unet',
    weights: options.weights,
    ...(options.producerVersion ? { producerVersion: options.producerVersion } : {}),
  });
  const taps = new Map<string, Value>();
  const tap = (name: string, v: Value): Value => {
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

  const t = b.expand(
    b.reshape(timestep, [-1], 'timestep.flat'),
    b.shapeOf(sample, 0, 1, 'batch_size'),
    'timestep.batch',
  );
  const tProj = tap(
    'time_proj.out',
    sinusoidEmbedding(b, t, spec.timestepInputDim, spec.flipSinToCos, spec.freqShift, 'time_proj'),
  );
  let emb = tap(
    'time_embedding.out',
    b.scope('time_embedding', () => timestepEmbedding(b, tProj, spec.timestepInputDim, spec.timeEmbedDim)),
  );

  if (spec.textTime) {
    const tt = spec.textTime;
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
    const aug = tap(
      'add_embedding.out',
      b.scope('add_embedding', () => timestepEmbedding(b, addIn, tt.inputDim, spec.timeEmbedDim)),
    );
    emb = b.add(emb, aug, 'emb');
  }
  tap('emb', emb);
  // Every resnet applies SiLU to the embedding before its own projection: compute it once.
  const tembAct = b.silu(emb, 'emb_act');

  if (spec.centerInputSample) sample = b.sub(b.scale(sample, 2, 'center.scale'), b.scalar(1), 'center');
  const c0 = spec.blockOutChannels[0] as number;
  let h = tap('conv_in.out', conv2d(b, sample, 'conv_in', spec.inChannels, c0, spec.convInKernel));

  const skips: Value[] = [h];
  spec.down.forEach((block, i) => {
    h = b.scope(`down_blocks.${i}`, () =>
      downBlock(b, h, block, i, context, tembAct, spec, norm, skips, tap),
    );
    tap(`down_blocks.${i}.out`, h);
  });

  if (spec.mid) {
    const mid = spec.mid;
    h = b.scope('mid_block', () => {
      let x = b.scope('resnets.0', () =>
        resnetBlock(
          b,
          h,
          tembAct,
          mid.channels,
          mid.channels,
          spec.timeEmbedDim,
          norm,
          spec.midBlockScaleFactor,
        ),
      );
      if (mid.type === 'UNetMidBlock2DCrossAttn') {
        mid.attention.transformerLayers.forEach((layers, j) => {
          const input = x;
          x = b.scope(`attentions.${j}`, () =>
            transformer2d(
              b,
              input,
              context,
              mid.channels,
              mid.attention,
              layers,
              spec.normGroups,
              spec.useLinearProjection,
            ),
          );
          const attnOut = x;
          x = b.scope(`resnets.${j + 1}`, () =>
            resnetBlock(
              b,
              attnOut,
              tembAct,
              mid.channels,
              mid.channels,
              spec.timeEmbedDim,
              norm,
              spec.midBlockScaleFactor,
            ),
          );
        });
      }
      return x;
    });
    tap('mid_block.out', h);
  }

  spec.up.forEach((block, i) => {
    h = b.scope(`up_blocks.${i}`, () => upBlock(b, h, block, context, tembAct, spec, norm, skips));
    tap(`up_blocks.${i}.out`, h);
  });

  h = b.silu(groupNorm(b, h, 'conv_norm_out', c0, norm.groups, norm.eps), 'conv_act');
  h = conv2d(b, h, 'conv_out', c0, spec.outChannels, spec.convOutKernel);
  b.output(h, 'out_sample');
  if (options.debugOutputs) for (const [name, v] of taps) b.output(v, `debug.${name}`);
  return b.build();
}

function downBlock(
  b: Builder,
  input: Value,
  block: DownBlockSpec,
  index: number,
  context: Value,
  tembAct: Value,
  spec: UNetSpec,
  norm: NormSettings,
  skips: Value[],
  tap: (name: string, v: Value) => Value,
): Value {
  let h = input;
  for (let j = 0; j < block.layers; j++) {
    const inC = j === 0 ? block.inChannels : block.outChannels;
    const x = h;
    h = b.scope(`resnets.${j}`, () =>
      resnetBlock(b, x, tembAct, inC, block.outChannels, spec.timeEmbedDim, norm, spec.resnetOutScaleFactor),
    );
    const attn = block.attention;
    if (attn) {
      const r = h;
      h = b.scope(`attentions.${j}`, () =>
        transformer2d(
          b,
          r,
          context,
          block.outChannels,
          attn,
          attn.transformerLayers[j] ?? 1,
          spec.normGroups,
          spec.useLinearProjection,
        ),
      );
    }
    skips.push(tap(`down_blocks.${index}.res.${j}`, h));
  }
  if (block.addDownsample) {
    h = downsample(b, h, block.outChannels, spec.downsamplePadding);
    skips.push(tap(`down_blocks.${index}.res.${block.layers}`, h));
  }
  return h;
}

function upBlock(
  b: Builder,
  input: Value,
  block: UpBlockSpec,
  context: Value,
  tembAct: Value,
  spec: UNetSpec,
  norm: NormSettings,
  skips: Value[],
): Value {
  let h = input;
  for (let j = 0; j < block.layers; j++) {
    const skip = skips.pop();
    if (skip === undefined)
      throw new Error('the up blocks consume more skip connections than the down blocks made');
    const skipC = j === block.layers - 1 ? block.inChannels : block.outChannels;
    const inC = j === 0 ? block.prevOutputChannels : block.outChannels;
    const x = b.concat([h, skip], 1, `resnets.${j}.concat`);
    h = b.scope(`resnets.${j}`, () =>
      resnetBlock(
        b,
        x,
        tembAct,
        inC + skipC,
        block.outChannels,
        spec.timeEmbedDim,
        norm,
        spec.resnetOutScaleFactor,
      ),
    );
    const attn = block.attention;
    if (attn) {
      const r = h;
      h = b.scope(`attentions.${j}`, () =>
        transformer2d(
          b,
          r,
          context,
          block.outChannels,
          attn,
          attn.transformerLayers[j] ?? 1,
          spec.normGroups,
          spec.useLinearProjection,
        ),
      );
    }
  }
  if (block.addUpsample) h = upsample(b, h, block.outChannels);
  return h;
}
