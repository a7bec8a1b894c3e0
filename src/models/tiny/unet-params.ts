import type { AttentionSpec, UNetSpec } from '../unet/config.js';
import { uniformArray } from '../math/random.js';
import type { Random } from '../math/random.js';
import type { NamedTensor } from '../clip/params.js';

/** How a parameter is initialised: PyTorch's default for its module type. */
type Init = 'fan-in' | 'ones' | 'zeros';

interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Init;
  /** fan_in of the owning Linear/Conv (weights and biases alike use 1/√fan_in). */
  readonly fanIn: number;
}

/**
 * Every parameter of diffusers' UNet2DConditionModel for a parsed config, with diffusers' state-dict
 * names and shapes, in module registration order.
 */
export function unetParamSpecs(spec: UNetSpec): ParamSpec[] {
  const out: ParamSpec[] = [];
  const linear = (name: string, outDim: number, inDim: number, bias = true) => {
    out.push({ name: `${name}.weight`, shape: [outDim, inDim], init: 'fan-in', fanIn: inDim });
    if (bias) out.push({ name: `${name}.bias`, shape: [outDim], init: 'fan-in', fanIn: inDim });
  };
  const conv = (name: string, outC: number, inC: number, k: number) => {
    out.push({ name: `${name}.weight`, shape: [outC, inC, k, k], init: 'fan-in', fanIn: inC * k * k });
    out.push({ name: `${name}.bias`, shape: [outC], init: 'fan-in', fanIn: inC * k * k });
  };
  const norm = (name: string, c: number) => {
    out.push({ name: `${name}.weight`, shape: [c], init: 'ones', fanIn: 0 });
    out.push({ name: `${name}.bias`, shape: [c], init: 'zeros', fanIn: 0 });
  };
  const temb = spec.timeEmbedDim;
  const resnet = (name: string, inC: number, outC: number) => {
    norm(`${name}.norm1`, inC);
    conv(`${name}.conv1`, outC, inC, 3);
    linear(`${name}.time_emb_proj`, outC, temb);
    norm(`${name}.norm2`, outC);
    conv(`${name}.conv2`, outC, outC, 3);
    if (inC !== outC) conv(`${name}.conv_shortcut`, outC, inC, 1);
  };
  const transformer = (name: string, c: number, att: AttentionSpec, depth: number) => {
    norm(`${name}.norm`, c);
    if (spec.useLinearProjection) linear(`${name}.proj_in`, c, c);
    else conv(`${name}.proj_in`, c, c, 1);
    for (let t = 0; t < depth; t++) {
      const blk = `${name}.transformer_blocks.${t}`;
      norm(`${blk}.norm1`, c);
      linear(`${blk}.attn1.to_q`, c, c, false);
      linear(`${blk}.attn1.to_k`, c, c, false);
      linear(`${blk}.attn1.to_v`, c, c, false);
      linear(`${blk}.attn1.to_out.0`, c, c);
      norm(`${blk}.norm2`, c);
      linear(`${blk}.attn2.to_q`, c, c, false);
      linear(`${blk}.attn2.to_k`, c, att.crossAttentionDim, false);
      linear(`${blk}.attn2.to_v`, c, att.crossAttentionDim, false);
      linear(`${blk}.attn2.to_out.0`, c, c);
      norm(`${blk}.norm3`, c);
      linear(`${blk}.ff.net.0.proj`, 8 * c, c);
      linear(`${blk}.ff.net.2`, c, 4 * c);
    }
    if (spec.useLinearProjection) linear(`${name}.proj_out`, c, c);
    else conv(`${name}.proj_out`, c, c, 1);
  };

  const c0 = spec.blockOutChannels[0] ?? 0;
  conv('conv_in', c0, spec.inChannels, spec.convInKernel);
  linear('time_embedding.linear_1', temb, spec.timestepInputDim);
  linear('time_embedding.linear_2', temb, temb);
  if (spec.textTime) {
    linear('add_embedding.linear_1', temb, spec.textTime.inputDim);
    linear('add_embedding.linear_2', temb, temb);
  }
  // Registration order, which state_dict follows: cross-attention blocks register their attentions before
  // their resnets, and the UNet registers up_blocks before mid_block.
  spec.down.forEach((blk, i) => {
    if (blk.attention) {
      for (let j = 0; j < blk.layers; j++) {
        transformer(
          `down_blocks.${i}.attentions.${j}`,
          blk.outChannels,
          blk.attention,
          blk.attention.transformerLayers[j] ?? 1,
        );
      }
    }
    for (let j = 0; j < blk.layers; j++) {
      resnet(`down_blocks.${i}.resnets.${j}`, j === 0 ? blk.inChannels : blk.outChannels, blk.outChannels);
    }
    if (blk.addDownsample) conv(`down_blocks.${i}.downsamplers.0.conv`, blk.outChannels, blk.outChannels, 3);
  });
  spec.up.forEach((blk, i) => {
    if (blk.attention) {
      for (let j = 0; j < blk.layers; j++) {
        transformer(
          `up_blocks.${i}.attentions.${j}`,
          blk.outChannels,
          blk.attention,
          blk.attention.transformerLayers[j] ?? 1,
        );
      }
    }
    for (let j = 0; j < blk.layers; j++) {
      const skip = j === blk.layers - 1 ? blk.inChannels : blk.outChannels;
      const from = j === 0 ? blk.prevOutputChannels : blk.outChannels;
      resnet(`up_blocks.${i}.resnets.${j}`, from + skip, blk.outChannels);
    }
    if (blk.addUpsample) conv(`up_blocks.${i}.upsamplers.0.conv`, blk.outChannels, blk.outChannels, 3);
  });
  if (spec.mid) {
    const c = spec.mid.channels;
    if (spec.mid.type === 'UNetMidBlock2DCrossAttn') {
      transformer(
        'mid_block.attentions.0',
        c,
        spec.mid.attention,
        spec.mid.attention.transformerLayers[0] ?? 1,
      );
    }
    resnet('mid_block.resnets.0', c, c);
    resnet('mid_block.resnets.1', c, c);
  }
  norm('conv_norm_out', c0);
  conv('conv_out', spec.outChannels, c0, spec.convOutKernel);
  return out;
}

/**
 * Initialises a UNet as PyTorch's defaults do when diffusers builds one from a config: Linear and Conv
 * weights and biases from U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5), norms at weight 1 and
 * bias 0. Each tensor draws from a generator forked by its name, so the values of a tensor depend only
 * on the seed and its name.
 */
export function initUnetParams(spec: UNetSpec, rng: Random): NamedTensor[] {
  return unetParamSpecs(spec).map((p) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data =
      p.init === 'fan-in'
        ? uniformArray(rng.fork(p.name), n, 1 / Math.sqrt(p.fanIn))
        : new Float32Array(n).fill(p.init === 'ones' ? 1 : 0);
    return { name: p.name, shape: p.shape, data };
  });
}
