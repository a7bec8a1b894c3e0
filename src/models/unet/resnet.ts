/** ResnetBlock2D and the down/up samplers, as diffusers defines them. */
import type { Builder, Value } from '../../onnx/builder.js';
import { conv2d, groupNorm, linear } from './modules.js';

export interface NormSettings {
  readonly groups: number;
  readonly eps: number;
}

/**
 * ResnetBlock2D: GN → SiLU → conv3x3 → + time_emb_proj(SiLU(temb)) → GN → SiLU → conv3x3, plus the
 * input (through a 1x1 conv_shortcut when the channel count changes), divided by the output scale factor.
 * `tembAct` is SiLU(temb), computed once for all blocks.
 */
export function resnetBlock(
  b: Builder,
  x: Value,
  tembAct: Value,
  inC: number,
  outC: number,
  tembDim: number,
  norm: NormSettings,
  outputScale: number,
): Value {
  let h = b.silu(groupNorm(b, x, 'norm1', inC, norm.groups, norm.eps), 'act1');
  h = conv2d(b, h, 'conv1', inC, outC, 3);
  const t = linear(b, tembAct, 'time_emb_proj', outC, tembDim);
  h = b.add(h, b.unsqueeze(t, [2, 3], 'temb'), 'add_temb');
  h = b.silu(groupNorm(b, h, 'norm2', outC, norm.groups, norm.eps), 'act2');
  h = conv2d(b, h, 'conv2', outC, outC, 3);
  const skip = inC !== outC ? conv2d(b, x, 'conv_shortcut', inC, outC, 1) : x;
  // The block's output value is named after the module itself: down_blocks.0.resnets.0.out.
  const sum = b.add(skip, h, outputScale === 1 ? '' : 'sum');
  return outputScale === 1 ? sum : b.scale(sum, 1 / outputScale, '');
}

/**
 * Downsample2D with a conv: conv3x3, stride 2 (`downsamplers.0.conv`). With downsample_padding 0,
 * diffusers pads only the bottom and right by one before the conv.
 */
export function downsample(b: Builder, x: Value, channels: number, padding: number): Value {
  const pads = padding === 0 ? [0, 0, 1, 1] : [padding, padding, padding, padding];
  return b.scope('downsamplers.0', () => conv2d(b, x, 'conv', channels, channels, 3, { stride: 2, pads }));
}

/** Upsample2D with a conv: nearest ×2, then conv3x3 (`upsamplers.0.conv`). */
export function upsample(b: Builder, x: Value, channels: number): Value {
  return b.scope('upsamplers.0', () =>
    conv2d(b, b.upsampleNearest(x, 2, 'interpolate'), 'conv', channels, channels, 3),
  );
}
