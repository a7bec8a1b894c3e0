/**
 * Transformer2DModel, BasicTransformerBlock, Attention and GEGLU as diffusers defines them for SDXL.
 * Attention is MatMul-based: q·kᵀ (q pre-scaled by head_dim^-½) → Softmax → ·v, with K transposed once
 * into [B, heads, d, L] so no Transpose sits between the two MatMuls.
 */
import type { Builder, Value } from '../../onnx/builder.js';
import type { AttentionSpec } from './config.js';
import { conv2d, groupNorm, layerNorm, linear } from './modules.js';

/** GroupNorm eps inside Transformer2DModel, fixed by diffusers (not the config's norm_eps). */
const TRANSFORMER_NORM_EPS = 1e-6;
/** LayerNorm eps of BasicTransformerBlock. */
const LAYER_NORM_EPS = 1e-5;

function norm(b: Builder, x: Value, dim: number, name: string): Value {
  return layerNorm(b, x, name, dim, LAYER_NORM_EPS);
}

/** Multi-head attention of x [B, L, C] over context [B, Lk, Ck] (x itself when undefined). */
export function attention(
  b: Builder,
  x: Value,
  context: Value | undefined,
  channels: number,
  contextDim: number,
  heads: number,
): Value {
  const d = channels / heads;
  const kvSource = context ?? x;
  const kvDim = context ? contextDim : channels;
  const q = b.scale(linear(b, x, 'to_q', channels, channels, false), 1 / Math.sqrt(d), 'q_scaled');
  const k = linear(b, kvSource, 'to_k', channels, kvDim, false);
  const v = linear(b, kvSource, 'to_v', channels, kvDim, false);
  const split = [0, 0, heads, d];
  const qh = b.transpose(b.reshape(q, split, 'q_heads'), [0, 2, 1, 3], 'q_t');
  const kt = b.transpose(b.reshape(k, split, 'k_heads'), [0, 2, 3, 1], 'k_t');
  const vh = b.transpose(b.reshape(v, split, 'v_heads'), [0, 2, 1, 3], 'v_t');
  const probs = b.softmax(b.matmul(qh, kt, 'scores'), -1, 'probs');
  const o = b.matmul(probs, vh, 'context');
  const merged = b.reshape(b.transpose(o, [0, 2, 1, 3], 'merge_t'), [0, 0, channels], 'merge');
  return linear(b, merged, 'to_out.0', channels, channels, true);
}

/** FeedForward with GEGLU: proj → split (hidden, gate) → hidden·GELU(gate) → net.2. */
function feedForward(b: Builder, x: Value, dim: number): Value {
  const inner = dim * 4;
  const proj = linear(b, x, 'net.0.proj', inner * 2, dim, true);
  const [hidden, gate] = b.split(proj, [inner, inner], -1, 'net.0.split') as [Value, Value];
  const gated = b.mul(hidden, b.gelu(gate, 'net.0.gelu'), 'net.0.out');
  return linear(b, gated, 'net.2', dim, inner, true);
}

function basicTransformerBlock(
  b: Builder,
  h: Value,
  context: Value,
  dim: number,
  spec: AttentionSpec,
): Value {
  const n1 = norm(b, h, dim, 'norm1');
  const a1 = b.add(
    b.scope('attn1', () => attention(b, n1, undefined, dim, dim, spec.heads)),
    h,
    'attn1.residual',
  );
  const n2 = norm(b, a1, dim, 'norm2');
  const a2 = b.add(
    b.scope('attn2', () => attention(b, n2, context, dim, spec.crossAttentionDim, spec.heads)),
    a1,
    'attn2.residual',
  );
  const n3 = norm(b, a2, dim, 'norm3');
  return b.add(
    b.scope('ff', () => feedForward(b, n3, dim)),
    a2,
    '',
  );
}

/**
 * Transformer2DModel on x [B, C, H, W]: GroupNorm(eps 1e-6) → proj_in → blocks → proj_out → + x.
 * proj_in/proj_out are Linear on [B, HW, C] with use_linear_projection, else 1x1 convs on NCHW.
 */
export function transformer2d(
  b: Builder,
  x: Value,
  context: Value,
  channels: number,
  spec: AttentionSpec,
  layers: number,
  groups: number,
  useLinearProjection: boolean,
): Value {
  let h = groupNorm(b, x, 'norm', channels, groups, TRANSFORMER_NORM_EPS);
  if (!useLinearProjection) h = conv2d(b, h, 'proj_in', channels, channels, 1);
  h = b.transpose(b.reshape(h, [0, 0, -1], 'flatten'), [0, 2, 1], 'to_tokens');
  if (useLinearProjection) h = linear(b, h, 'proj_in', channels, channels, true);
  for (let i = 0; i < layers; i++) {
    const input = h;
    h = b.scope(`transformer_blocks.${i}`, () => basicTransformerBlock(b, input, context, channels, spec));
  }
  if (useLinearProjection) h = linear(b, h, 'proj_out', channels, channels, true);
  h = b.reshape(
    b.transpose(h, [0, 2, 1], 'to_channels'),
    b.shapeOf(x, undefined, undefined, 'input_shape'),
    'unflatten',
  );
  if (!useLinearProjection) h = conv2d(b, h, 'proj_out', channels, channels, 1);
  return b.add(h, x, '');
}
