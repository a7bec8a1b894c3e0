/**
 * The tiny family's fixed configurations. The UNet's is the shared reference configuration
 * ("moe-tiny-sdxl", an SDXL-shaped UNet2DConditionModel), copied here so moe never reads the reference
 * folder at run time; the diffusers-parity tests and bench:train's PyTorch comparison use it as it is. A
 * family may widen its levels (tinyUnetConfig); everything downstream reads the written unet/config.json.
 */
import type { ClipTextConfig } from '../clip/config.js';

export const TINY_UNET_CONFIG = {
  _class_name: 'UNet2DConditionModel',
  _diffusers_version: '0.40.0.dev0',
  act_fn: 'silu',
  addition_embed_type: 'text_time',
  addition_embed_type_num_heads: 64,
  addition_time_embed_dim: 16,
  attention_head_dim: [2, 4],
  attention_type: 'default',
  block_out_channels: [32, 64],
  center_input_sample: false,
  class_embed_type: null,
  class_embeddings_concat: false,
  conv_in_kernel: 3,
  conv_out_kernel: 3,
  cross_attention_dim: 64,
  cross_attention_norm: null,
  down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D'],
  downsample_padding: 1,
  dropout: 0.0,
  dual_cross_attention: false,
  encoder_hid_dim: null,
  encoder_hid_dim_type: null,
  flip_sin_to_cos: true,
  freq_shift: 0,
  in_channels: 4,
  layers_per_block: 1,
  mid_block_only_cross_attention: null,
  mid_block_scale_factor: 1,
  mid_block_type: 'UNetMidBlock2DCrossAttn',
  norm_eps: 1e-5,
  norm_num_groups: 8,
  num_attention_heads: null,
  num_class_embeds: null,
  only_cross_attention: false,
  out_channels: 4,
  projection_class_embeddings_input_dim: 160,
  resnet_out_scale_factor: 1.0,
  resnet_skip_time_act: false,
  resnet_time_scale_shift: 'default',
  reverse_transformer_layers_per_block: null,
  sample_size: 16,
  time_cond_proj_dim: null,
  time_embedding_act_fn: null,
  time_embedding_dim: null,
  time_embedding_type: 'positional',
  timestep_post_act: null,
  transformer_layers_per_block: [1, 1],
  up_block_types: ['CrossAttnUpBlock2D', 'UpBlock2D'],
  upcast_attention: false,
  use_linear_projection: true,
} as const;

/** The widest level a tiny UNet may have: at 512 channels it has tens of millions of weights, past a CPU. */
export const TINY_UNET_MAX_CHANNELS = 512;

/**
 * Why `channels` cannot be a tiny UNet's block_out_channels, or undefined when it can: one entry per level
 * (down block) of TINY_UNET_CONFIG, each an integer from 1 to TINY_UNET_MAX_CHANNELS that the group norms'
 * norm_num_groups and that level's attention head count (attention_head_dim, diffusers' name for the
 * number of heads) both divide.
 */
export function tinyUnetChannelsProblem(channels: readonly unknown[]): string | undefined {
  const c = TINY_UNET_CONFIG;
  const levels = c.down_block_types.length;
  const word = (x: unknown): string => (typeof x === 'number' ? String(x) : JSON.stringify(x));
  const shown = `block_out_channels [${channels.map(word).join(', ')}]`;
  const fix = `give ${levels} multiples of ${c.norm_num_groups} from ${c.norm_num_groups} to ${TINY_UNET_MAX_CHANNELS}, one per level, e.g. [${c.block_out_channels.join(', ')}]`;
  if (channels.length !== levels)
    return `${shown}: the tiny UNet has ${levels} levels, so it takes ${levels} widths; ${fix}`;
  for (const [i, x] of channels.entries()) {
    const heads = c.attention_head_dim[i] ?? 1;
    const why =
      typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > TINY_UNET_MAX_CHANNELS
        ? `is not an integer from 1 to ${TINY_UNET_MAX_CHANNELS}`
        : x % c.norm_num_groups !== 0
          ? `is not a multiple of norm_num_groups (${c.norm_num_groups}: the group norms split a level's channels into ${c.norm_num_groups} groups)`
          : x % heads !== 0
            ? `is not a multiple of level ${i}'s ${heads} attention heads (attention_head_dim)`
            : undefined;
    if (why !== undefined) return `${shown}: level ${i}'s ${word(x)} ${why}; ${fix}`;
  }
  return undefined;
}

/** TINY_UNET_CONFIG with other block_out_channels (check them with tinyUnetChannelsProblem first). */
export function tinyUnetConfig(
  channels: readonly number[] = TINY_UNET_CONFIG.block_out_channels,
): Record<string, unknown> {
  return { ...TINY_UNET_CONFIG, block_out_channels: [...channels] };
}

/** SDXL base / SSD-1B's scheduler_config.json. */
export const SDXL_SCHEDULER_CONFIG = {
  _class_name: 'EulerDiscreteScheduler',
  _diffusers_version: '0.19.0.dev0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  interpolation_type: 'linear',
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'leading',
  trained_betas: null,
  use_karras_sigmas: false,
} as const;

/** model_index.json as Optimum writes it for an SDXL export. */
export const SDXL_MODEL_INDEX = {
  _class_name: 'StableDiffusionXLPipeline',
  _diffusers_version: '0.19.0.dev0',
  _name_or_path: 'moe-tiny-sdxl',
  force_zeros_for_empty_prompt: true,
  scheduler: ['diffusers', 'EulerDiscreteScheduler'],
  text_encoder: ['transformers', 'CLIPTextModel'],
  text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
  tokenizer: ['transformers', 'CLIPTokenizer'],
  tokenizer_2: ['transformers', 'CLIPTokenizer'],
  unet: ['diffusers', 'UNet2DConditionModel'],
  vae: ['diffusers', 'AutoencoderKL'],
} as const;

/**
 * Words the tiny tokenizers learn as whole tokens: what synthetic captions of coloured shapes are made of
 * ("a red circle on a blue background"), plus a few common neighbours. Other words still encode, in pieces.
 */
export const TINY_VOCABULARY_WORDS: readonly string[] = [
  'a',
  'an',
  'the',
  'on',
  'in',
  'of',
  'and',
  'with',
  'background',
  'red',
  'green',
  'blue',
  'yellow',
  'white',
  'black',
  'purple',
  'orange',
  'grey',
  'pink',
  'brown',
  'cyan',
  'circle',
  'square',
  'triangle',
  'cross',
  'star',
  'shape',
  'small',
  'large',
  'big',
  'left',
  'right',
  'top',
  'bottom',
  'center',
];

/** The two tiny text encoders: 32 wide each, so their penultimate states concatenate to the UNet's 64. */
export function tinyTextEncoderConfigs(
  vocabSize: number,
  eosTokenId: number,
  bosTokenId: number,
): [ClipTextConfig, ClipTextConfig] {
  const common = {
    vocabSize,
    hiddenSize: 32,
    intermediateSize: 128,
    layers: 2,
    heads: 2,
    maxPositions: 77,
    layerNormEps: 1e-5,
    eosTokenId,
    bosTokenId,
  };
  return [
    { ...common, hiddenAct: 'quick_gelu', padTokenId: 1 },
    { ...common, hiddenAct: 'gelu', padTokenId: 1, projectionDim: 64 },
  ];
}

/** The tiny VAE: /4 spatially, 4 latent channels, SDXL's scaling factor (the fit makes it fit). */
export const TINY_VAE = {
  factor: 4,
  latentChannels: 4,
  scalingFactor: 0.13025,
  fitImages: 64,
  fitSize: 64,
} as const;

/** The name the tiny VAE's config.json gives (how a check knows the factor of a tiny folder's VAE). */
export const TINY_VAE_NAME = 'moe-tiny-linear-vae';

/** AutoencoderKL-style config.json for vae_encoder/ and vae_decoder/ (the keys moe reads: scaling_factor). */
export function tinyVaeConfigJson(): Record<string, unknown> {
  return {
    _class_name: 'AutoencoderKL',
    _diffusers_version: '0.19.0.dev0',
    _name_or_path: TINY_VAE_NAME,
    in_channels: 3,
    out_channels: 3,
    latent_channels: TINY_VAE.latentChannels,
    sample_size: 64,
    scaling_factor: TINY_VAE.scalingFactor,
    force_upcast: true,
    moe_note: `a linear autoencoder fitted by moe: ${TINY_VAE.factor}x${TINY_VAE.factor} patches, PCA encoder, least-squares decoder`,
  };
}
