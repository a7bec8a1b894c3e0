/**
 * Reads a diffusers `UNet2DConditionModel` config.json into a normalised, per-block description of the
 * network, with diffusers' own defaults and its per-block list semantics (ints broadcast to every block;
 * up blocks take reversed lists; `attention_head_dim` is the number of heads). Options moe does not build
 * are refused with the option's name and value.
 */
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import {
  Refusal,
  bool,
  int,
  invalid,
  layerCounts,
  num,
  perBlock,
  perLayer,
  unsupported,
} from './config-values.js';
import type { ConfigError, Json, LayerCounts } from './config-values.js';

export type { ConfigError } from './config-values.js';

export type DownBlockType = 'DownBlock2D' | 'CrossAttnDownBlock2D';
export type UpBlockType = 'UpBlock2D' | 'CrossAttnUpBlock2D';

export interface AttentionSpec {
  readonly heads: number;
  readonly crossAttentionDim: number;
  /** Transformer blocks inside each layer's Transformer2DModel, one entry per resnet/attention pair. */
  readonly transformerLayers: readonly number[];
}

export interface DownBlockSpec {
  readonly type: DownBlockType;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly layers: number;
  readonly attention?: AttentionSpec;
  readonly addDownsample: boolean;
}

export interface UpBlockSpec {
  readonly type: UpBlockType;
  /** Channels of the skip that enters the last resnet (the block input of the matching down block). */
  readonly inChannels: number;
  readonly outChannels: number;
  /** Channels arriving from the block below. */
  readonly prevOutputChannels: number;
  /** layers_per_block + 1 resnets. */
  readonly layers: number;
  readonly attention?: AttentionSpec;
  readonly addUpsample: boolean;
}

export type MidBlockSpec =
  | { readonly type: 'UNetMidBlock2DCrossAttn'; readonly channels: number; readonly attention: AttentionSpec }
  | { readonly type: 'UNetMidBlock2D'; readonly channels: number };

export interface UNetSpec {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly blockOutChannels: readonly number[];
  readonly centerInputSample: boolean;
  readonly convInKernel: number;
  readonly convOutKernel: number;
  readonly flipSinToCos: boolean;
  readonly freqShift: number;
  /** Width of the sinusoidal timestep features (block_out_channels[0]). */
  readonly timestepInputDim: number;
  readonly timeEmbedDim: number;
  /** SDXL's text_time conditioning; absent for SD-1.x-style UNets. */
  readonly textTime?: { readonly timeEmbedDim: number; readonly inputDim: number };
  readonly normGroups: number;
  readonly normEps: number;
  readonly useLinearProjection: boolean;
  readonly downsamplePadding: number;
  readonly midBlockScaleFactor: number;
  readonly resnetOutScaleFactor: number;
  readonly down: readonly DownBlockSpec[];
  readonly mid?: MidBlockSpec;
  readonly up: readonly UpBlockSpec[];
  /** Width of encoder_hidden_states (the first block's cross_attention_dim). */
  readonly crossAttentionDim: number;
}

const DEFAULTS: Json = {
  in_channels: 4,
  out_channels: 4,
  center_input_sample: false,
  flip_sin_to_cos: true,
  freq_shift: 0,
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  mid_block_type: 'UNetMidBlock2DCrossAttn',
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  only_cross_attention: false,
  block_out_channels: [320, 640, 1280, 1280],
  layers_per_block: 2,
  downsample_padding: 1,
  mid_block_scale_factor: 1,
  act_fn: 'silu',
  norm_num_groups: 32,
  norm_eps: 1e-5,
  cross_attention_dim: 1280,
  transformer_layers_per_block: 1,
  reverse_transformer_layers_per_block: null,
  encoder_hid_dim: null,
  encoder_hid_dim_type: null,
  attention_head_dim: 8,
  num_attention_heads: null,
  dual_cross_attention: false,
  use_linear_projection: false,
  class_embed_type: null,
  addition_embed_type: null,
  addition_time_embed_dim: null,
  num_class_embeds: null,
  upcast_attention: false,
  resnet_time_scale_shift: 'default',
  resnet_skip_time_act: false,
  resnet_out_scale_factor: 1.0,
  time_embedding_type: 'positional',
  time_embedding_dim: null,
  time_embedding_act_fn: null,
  timestep_post_act: null,
  time_cond_proj_dim: null,
  conv_in_kernel: 3,
  conv_out_kernel: 3,
  projection_class_embeddings_input_dim: null,
  attention_type: 'default',
  class_embeddings_concat: false,
  mid_block_only_cross_attention: null,
  cross_attention_norm: null,
};

/** Options whose only supported value is the one given (anything else changes the network). */
const FIXED: readonly [string, unknown][] = [
  ['class_embed_type', null],
  ['num_class_embeds', null],
  ['encoder_hid_dim_type', null],
  ['encoder_hid_dim', null],
  ['num_attention_heads', null],
  ['dual_cross_attention', false],
  ['time_embedding_type', 'positional'],
  ['time_embedding_act_fn', null],
  ['timestep_post_act', null],
  ['time_cond_proj_dim', null],
  ['resnet_time_scale_shift', 'default'],
  ['resnet_skip_time_act', false],
  ['attention_type', 'default'],
  ['class_embeddings_concat', false],
  ['cross_attention_norm', null],
];

/** Parses a diffusers UNet config (already JSON-decoded). */
export function parseUNetConfig(raw: unknown): Result<UNetSpec, ConfigError> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return err({ reason: 'invalid', option: '(config)', message: 'config.json must hold a JSON object' });
  }
  try {
    return ok(build({ ...DEFAULTS, ...(raw as Json) }));
  } catch (e) {
    if (e instanceof Refusal) return err(e.detail);
    throw e;
  }
}

function build(c: Json): UNetSpec {
  refuseUnbuilt(c);
  const types = blockTypes(c);
  const cols = blockColumns(c, types.down.length);
  const depths = transformerDepths(c, types.down.length);
  const down = downBlocks(c, types.down, cols, depths);
  const up = upBlocks(c, types.up, cols, depths);
  const mid = midBlock(c, cols, depths);
  const timestepInputDim = cols.channels[0] as number;
  const ted = c['time_embedding_dim'];
  const timeEmbedDim = ted === null ? timestepInputDim * 4 : int(c, 'time_embedding_dim');
  const textTime = textTimeSpec(c);
  const convIn = int(c, 'conv_in_kernel');
  const convOut = int(c, 'conv_out_kernel');
  if (convIn % 2 === 0) invalid('conv_in_kernel', convIn, 'an odd kernel size');
  if (convOut % 2 === 0) invalid('conv_out_kernel', convOut, 'an odd kernel size');
  return {
    inChannels: int(c, 'in_channels'),
    outChannels: int(c, 'out_channels'),
    blockOutChannels: cols.channels,
    centerInputSample: bool(c, 'center_input_sample'),
    convInKernel: convIn,
    convOutKernel: convOut,
    flipSinToCos: bool(c, 'flip_sin_to_cos'),
    freqShift: num(c, 'freq_shift'),
    timestepInputDim,
    timeEmbedDim,
    ...(textTime ? { textTime } : {}),
    normGroups: cols.groups,
    normEps: num(c, 'norm_eps'),
    useLinearProjection: bool(c, 'use_linear_projection'),
    downsamplePadding: int(c, 'downsample_padding', 0),
    midBlockScaleFactor: num(c, 'mid_block_scale_factor'),
    resnetOutScaleFactor: num(c, 'resnet_out_scale_factor'),
    down,
    ...(mid ? { mid } : {}),
    up,
    crossAttentionDim: cols.cross[0] as number,
  };
}

/** Refuses the options that change the network into one moe does not build. */
function refuseUnbuilt(c: Json): void {
  const cls = c['_class_name'];
  if (cls !== undefined && cls !== 'UNet2DConditionModel')
    unsupported('_class_name', cls, 'only UNet2DConditionModel is built');
  for (const [key, want] of FIXED) if (c[key] !== want) unsupported(key, c[key]);
  const act = c['act_fn'];
  if (act !== 'silu' && act !== 'swish') unsupported('act_fn', act, 'only silu is built');
  const addition = c['addition_embed_type'];
  if (addition !== null && addition !== 'text_time')
    unsupported('addition_embed_type', addition, 'only text_time (SDXL) or none');
  if (c['norm_num_groups'] === null)
    unsupported('norm_num_groups', null, 'a UNet without group norms is not built');
  const oca = c['only_cross_attention'];
  if (oca !== false && !(Array.isArray(oca) && oca.every((x) => x === false)))
    unsupported('only_cross_attention', oca);
  const mboca = c['mid_block_only_cross_attention'];
  if (mboca !== null && mboca !== false) unsupported('mid_block_only_cross_attention', mboca);
}

/** down_block_types and up_block_types: non-empty, as long as each other, of the kinds moe builds. */
function blockTypes(c: Json): { readonly down: DownBlockType[]; readonly up: UpBlockType[] } {
  const downTypes = c['down_block_types'];
  const upTypes = c['up_block_types'];
  if (!Array.isArray(downTypes) || downTypes.length === 0)
    invalid('down_block_types', downTypes, 'a non-empty list');
  if (!Array.isArray(upTypes) || upTypes.length !== downTypes.length) {
    invalid('up_block_types', upTypes, `a list as long as down_block_types (${downTypes.length})`);
  }
  for (const t of downTypes)
    if (t !== 'DownBlock2D' && t !== 'CrossAttnDownBlock2D')
      unsupported('down_block_types', t, 'DownBlock2D or CrossAttnDownBlock2D');
  for (const t of upTypes)
    if (t !== 'UpBlock2D' && t !== 'CrossAttnUpBlock2D')
      unsupported('up_block_types', t, 'UpBlock2D or CrossAttnUpBlock2D');
  return { down: downTypes as DownBlockType[], up: upTypes as UpBlockType[] };
}

/** The per-block settings, one entry per down block (up blocks read them reversed). */
interface BlockColumns {
  readonly channels: number[];
  readonly heads: number[];
  readonly cross: number[];
  readonly layers: number[];
  readonly groups: number;
}

function blockColumns(c: Json, n: number): BlockColumns {
  const channels = perBlock(c, 'block_out_channels', n);
  if (!Array.isArray(c['block_out_channels']))
    invalid('block_out_channels', c['block_out_channels'], `a list of ${n} integers`);
  const heads = perBlock(c, 'attention_head_dim', n);
  const cross = perBlock(c, 'cross_attention_dim', n);
  const layers = perBlock(c, 'layers_per_block', n);
  const groups = int(c, 'norm_num_groups');
  for (const ch of channels)
    if (ch % groups !== 0)
      invalid(
        'norm_num_groups',
        groups,
        `a divisor of every block_out_channels entry (${channels.join(', ')})`,
      );
  return { channels, heads, cross, layers, groups };
}

/** Transformer depths per block: the down blocks' and the up blocks' (with the config key each came from). */
interface TransformerDepths {
  readonly down: LayerCounts[];
  readonly up: LayerCounts[];
  readonly upKey: string;
}

function transformerDepths(c: Json, n: number): TransformerDepths {
  const tl = layerCounts('transformer_layers_per_block', c['transformer_layers_per_block'], n);
  const reverseRaw = c['reverse_transformer_layers_per_block'];
  if (reverseRaw === null && tl.some((x) => Array.isArray(x))) {
    invalid(
      'reverse_transformer_layers_per_block',
      null,
      'a value when transformer_layers_per_block has per-layer lists (an asymmetric UNet)',
    );
  }
  if (reverseRaw === null)
    return { down: tl, up: tl.slice().reverse(), upKey: 'transformer_layers_per_block' };
  return {
    down: tl,
    up: layerCounts('reverse_transformer_layers_per_block', reverseRaw, n),
    upKey: 'reverse_transformer_layers_per_block',
  };
}

/**
 * One block's attention: `h` heads over `ch` channels (refused unless they divide), attending to
 * `crossDim` features, with transformer depths read from `counts` under config key `key`.
 */
function attentionSpec(
  c: Json,
  h: number,
  crossDim: number,
  counts: LayerCounts,
  key: string,
  numLayers: number,
  ch: number,
): AttentionSpec {
  if (ch % h !== 0)
    invalid(
      'attention_head_dim',
      c['attention_head_dim'],
      `head counts that divide the channels (${ch} channels, ${h} heads)`,
    );
  return { heads: h, crossAttentionDim: crossDim, transformerLayers: perLayer(key, counts, numLayers) };
}

function downBlocks(
  c: Json,
  types: readonly DownBlockType[],
  cols: BlockColumns,
  depths: TransformerDepths,
): DownBlockSpec[] {
  const { channels, heads, cross, layers } = cols;
  const n = types.length;
  return types.map((type, i) => {
    const out = channels[i] as number;
    const spec: DownBlockSpec = {
      type,
      inChannels: i === 0 ? (channels[0] as number) : (channels[i - 1] as number),
      outChannels: out,
      layers: layers[i] as number,
      addDownsample: i !== n - 1,
    };
    if (type !== 'CrossAttnDownBlock2D') return spec;
    const counts = depths.down[i] as LayerCounts;
    const key = 'transformer_layers_per_block';
    return {
      ...spec,
      attention: attentionSpec(c, heads[i] as number, cross[i] as number, counts, key, spec.layers, out),
    };
  });
}

/** The up blocks mirror the down blocks: every per-block list is read reversed. */
function upBlocks(
  c: Json,
  types: readonly UpBlockType[],
  cols: BlockColumns,
  depths: TransformerDepths,
): UpBlockSpec[] {
  const rev = <T>(a: T[]): T[] => a.slice().reverse();
  const rChannels = rev(cols.channels);
  const rHeads = rev(cols.heads);
  const rCross = rev(cols.cross);
  const rLayers = rev(cols.layers);
  const n = types.length;
  return types.map((type, i) => {
    const out = rChannels[i] as number;
    const spec: UpBlockSpec = {
      type,
      inChannels: rChannels[Math.min(i + 1, n - 1)] as number,
      outChannels: out,
      prevOutputChannels: i === 0 ? (rChannels[0] as number) : (rChannels[i - 1] as number),
      layers: (rLayers[i] as number) + 1,
      addUpsample: i !== n - 1,
    };
    if (type === 'UpBlock2D') return spec;
    const counts = depths.up[i] as LayerCounts;
    return {
      ...spec,
      attention: attentionSpec(
        c,
        rHeads[i] as number,
        rCross[i] as number,
        counts,
        depths.upKey,
        spec.layers,
        out,
      ),
    };
  });
}

/** The mid block works at the last block's width; none when mid_block_type is null. */
function midBlock(c: Json, cols: BlockColumns, depths: TransformerDepths): MidBlockSpec | undefined {
  const n = cols.channels.length;
  const last = cols.channels[n - 1] as number;
  const midType = c['mid_block_type'];
  if (midType === 'UNetMidBlock2DCrossAttn') {
    const counts = depths.down[n - 1] as LayerCounts;
    const attention = attentionSpec(
      c,
      cols.heads[n - 1] as number,
      cols.cross[n - 1] as number,
      counts,
      'transformer_layers_per_block',
      1,
      last,
    );
    return { type: midType, channels: last, attention };
  }
  if (midType === 'UNetMidBlock2D') return { type: midType, channels: last };
  if (midType !== null)
    unsupported('mid_block_type', midType, 'UNetMidBlock2DCrossAttn, UNetMidBlock2D or null');
  return undefined;
}

/** SDXL's text_time conditioning widths, when addition_embed_type asks for it. */
function textTimeSpec(c: Json): UNetSpec['textTime'] {
  if (c['addition_embed_type'] !== 'text_time') return undefined;
  return {
    timeEmbedDim: int(c, 'addition_time_embed_dim'),
    inputDim: int(c, 'projection_class_embeddings_input_dim'),
  };
}
