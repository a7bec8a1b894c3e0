/** ResnetBlock2D and the down/up samplers, as diffusers defines them. */
import type { Builder, Value } from '../../onnx/builder.js';

export interface NormSettings {
  readonly groups: number;
  readonly eps: number;
}

/** GroupNorm over `channels` with the scope's `weight` and `bias`. */
export function groupNorm(b: Builder, x: Value, channels: number, norm: NormSettings, name: string): Value {
  return b.scope(name, () =>
    b.groupNorm(
      x,
      b.param('weight', [channels]),
      b.param('bias', [channels]),
      norm.groups,
      norm.eps,
      'group_norm',
    ),
  );
}

/** A k×k convolution with 'same' padding (and optional stride), weights from the scope `name`. */
export function conv(
  b: Builder,
  x: Value,
  inC: number,
  outC: number,
  k: number,
  name: string,
  stride = 1,
  pad = (k - 1) / 2,
): Value {
  return b.scope(name, () =>
    b.conv(
      x,
      b.param('weight', [outC, inC, k, k]),
      b.param('bias', [outC]),
      {
        pads: [pad, pad, pad, pad],
        ...(stride !== 1 ? { strides: [stride, stride] } : {}),
      },
      'conv',
    ),
  );
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
  let h = b.silu(groupNorm(b, x, inC, norm, 'norm1'), 'act1');
  h = conv(b, h, inC, outC, 3, 'conv1');
  const t = b.scope('time_emb_proj', () =>
    b.linear(tembAct, b.param('weight', [outC, tembDim]), b.param('bias', [outC]), 'linear'),
  );
  h = b.add(h, b.unsqueeze(t, [2, 3], 'temb'), 'add_temb');
  h = b.silu(groupNorm(b, h, outC, norm, 'norm2'), 'act2');
  h = conv(b, h, outC, outC, 3, 'conv2');
  const skip = inC !== outC ? conv(b, x, inC, outC, 1, 'conv_shortcut') : x;
  const sum = b.add(skip, h, outputScale === 1 ? 'out' : 'sum');
  return outputScale === 1 ? sum : b.scale(sum, 1 / outputScale, 'out');
}

/**
 * Downsample2D with a conv: conv3x3, stride 2 (`downsamplers.0.conv`). With downsample_padding 0,
 * diffusers pads only the bottom and right by one before the conv.
 */
export function downsample(b: Builder, x: Value, channels: number, padding: number): Value {
  const pads = padding === 0 ? [0, 0, 1, 1] : [padding, padding, padding, padding];
  return b.scope('downsamplers.0.conv', () =>
    b.conv(
      x,
      b.param('weight', [channels, channels, 3, 3]),
      b.param('bias', [channels]),
      { pads, strides: [2, 2] },
      'conv',
    ),
  );
}

/** Upsample2D with a conv: nearest ×2, then conv3x3 (`upsamplers.0.conv`). */
export function upsample(b: Builder, x: Value, channels: number): Value {
  return b.scope('upsamplers.0', () =>
    conv(b, b.upsampleNearest(x, 2, 'interpolate'), channels, channels, 3, 'conv'),
  );
}
