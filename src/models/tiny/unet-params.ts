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

/** Parameters in the order they are added, with diffusers' names; one method per kind of module. */
class ParamList {
  readonly out: ParamSpec[] = [];

  constructor(private readonly spec: UNetSpec) {}

  linear(name: string, outDim: number, inDim: number, bias = true): void {
    this.out.push({ name: `${name}.weight`, shape: [outDim, inDim], init: 'fan-in', fanIn: inDim });
    if (bias) this.out.push({ name: `${name}.bias`, shape: [outDim], init: 'fan-in', fanIn: inDim });
  }

  conv(name: string, outC: number, inC: number, k: number): void {
    this.out.push({ name: `${name}.weight`, shape: [outC, inC, k, k], init: 'fan-in', fanIn: inC * k * k });
    this.out.push({ name: `${name}.bias`, shape: [outC], init: 'fan-in', fanIn: inC * k * k });
  }

  norm(name: string, c: number): void {
    this.out.push({ name: `${name}.weight`, shape: [c], init: 'ones', fanIn: 0 });
    this.out.push({ name: `${name}.bias`, shape: [c], init: 'zeros', fanIn: 0 });
  }

  resnet(name: string, inC: number, outC: number): void {
    this.norm(`${name}.norm1`, inC);
    this.conv(`${name}.conv1`, outC, inC, 3);
    this.linear(`${name}.time_emb_proj`, outC, this.spec.timeEmbedDim);
    this.norm(`${name}.norm2`, outC);
    this.conv(`${name}.conv2`, outC, outC, 3);
    if (inC !== outC) this.conv(`${name}.conv_shortcut`, outC, inC, 1);
  }

  /** proj_in or proj_out: Linear with use_linear_projection, a 1×1 Conv otherwise. */
  projection(name: string, c: number): void {
    if (this.spec.useLinearProjection) this.linear(name, c, c);
    else this.conv(name, c, c, 1);
  }

  transformer(name: string, c: number, att: AttentionSpec, depth: number): void {
    this.norm(`${name}.norm`, c);
    this.projection(`${name}.proj_in`, c);
    for (let t = 0; t < depth; t++) {
      const blk = `${name}.transformer_blocks.${t}`;
      for (const [attn, context] of [
        ['attn1', c],
        ['attn2', att.crossAttentionDim],
      ] as const) {
        this.norm(`${blk}.norm${attn === 'attn1' ? 1 : 2}`, c);
        this.linear(`${blk}.${attn}.to_q`, c, c, false);
        this.linear(`${blk}.${attn}.to_k`, c, context, false);
        this.linear(`${blk}.${attn}.to_v`, c, context, false);
        this.linear(`${blk}.${attn}.to_out.0`, c, c);
      }
      this.norm(`${blk}.norm3`, c);
      this.linear(`${blk}.ff.net.0.proj`, 8 * c, c);
      this.linear(`${blk}.ff.net.2`, c, 4 * c);
    }
    this.projection(`${name}.proj_out`, c);
  }

  /** A down or up block's transformers, one per layer, when it has attention. */
  attentions(prefix: string, blk: { layers: number; outChannels: number; attention?: AttentionSpec }): void {
    if (!blk.attention) return;
    for (let j = 0; j < blk.layers; j++) {
      const depth = blk.attention.transformerLayers[j] ?? 1;
      this.transformer(`${prefix}.attentions.${j}`, blk.outChannels, blk.attention, depth);
    }
  }
}

/**
 * Every parameter of diffusers' UNet2DConditionModel for a parsed config, with diffusers' state-dict
 * names and shapes, in module registration order.
 */
export function unetParamSpecs(spec: UNetSpec): ParamSpec[] {
  const p = new ParamList(spec);
  const temb = spec.timeEmbedDim;
  const c0 = spec.blockOutChannels[0] ?? 0;
  p.conv('conv_in', c0, spec.inChannels, spec.convInKernel);
  p.linear('time_embedding.linear_1', temb, spec.timestepInputDim);
  p.linear('time_embedding.linear_2', temb, temb);
  if (spec.textTime) {
    p.linear('add_embedding.linear_1', temb, spec.textTime.inputDim);
    p.linear('add_embedding.linear_2', temb, temb);
  }
  // Registration order, which state_dict follows: cross-attention blocks register their attentions before
  // their resnets, and the UNet registers up_blocks before mid_block.
  spec.down.forEach((blk, i) => {
    p.attentions(`down_blocks.${i}`, blk);
    for (let j = 0; j < blk.layers; j++) {
      p.resnet(`down_blocks.${i}.resnets.${j}`, j === 0 ? blk.inChannels : blk.outChannels, blk.outChannels);
    }
    if (blk.addDownsample)
      p.conv(`down_blocks.${i}.downsamplers.0.conv`, blk.outChannels, blk.outChannels, 3);
  });
  spec.up.forEach((blk, i) => {
    p.attentions(`up_blocks.${i}`, blk);
    for (let j = 0; j < blk.layers; j++) {
      const skip = j === blk.layers - 1 ? blk.inChannels : blk.outChannels;
      const from = j === 0 ? blk.prevOutputChannels : blk.outChannels;
      p.resnet(`up_blocks.${i}.resnets.${j}`, from + skip, blk.outChannels);
    }
    if (blk.addUpsample) p.conv(`up_blocks.${i}.upsamplers.0.conv`, blk.outChannels, blk.outChannels, 3);
  });
  if (spec.mid) {
    const c = spec.mid.channels;
    if (spec.mid.type === 'UNetMidBlock2DCrossAttn') {
      p.transformer(
        'mid_block.attentions.0',
        c,
        spec.mid.attention,
        spec.mid.attention.transformerLayers[0] ?? 1,
      );
    }
    p.resnet('mid_block.resnets.0', c, c);
    p.resnet('mid_block.resnets.1', c, c);
  }
  p.norm('conv_norm_out', c0);
  p.conv('conv_out', spec.outChannels, c0, spec.convOutKernel);
  return p.out;
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
