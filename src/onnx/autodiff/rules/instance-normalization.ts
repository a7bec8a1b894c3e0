/**
 * InstanceNormalization: g = dY·scale; dScale and dB sum dY·x̂ and dY over every axis but the channel
 * axis. A scale that is a constant of ones skips the multiply. Where the bias is a constant of zeros too
 * (moe's GroupNorm decomposition) and the spatial dims are static, the forward node itself becomes a
 * LayerNormalization over the spatial axes (the same statistics and output), whose output is x̂ and whose
 * InvStdDev output is 1/σ: nothing is recomputed. Otherwise x̂ and 1/σ per (sample, channel) are
 * recomputed by one LayerNormalization.
 */
import { dy, gradRule, input } from '../rule.js';
import type { GradContext } from '../rule.js';
import { attr, floatAttr } from '../../attributes.js';
import type { Emitter } from '../emitter.js';
import type { Normalized } from '../normalize.js';
import { normalizeBackward, renormalize, statsShape, unitScale } from '../normalize.js';

export const instanceNormalizationGrad = gradRule('InstanceNormalization', (ctx, e) => {
  const g = dy(ctx);
  const x = input(ctx, 0);
  const scale = input(ctx, 1);
  const rank = e.shape(x).length;
  const eps = floatAttr(ctx.node, 'epsilon', 1e-5);
  const perChannel = [e.shape(scale)[0] ?? -1, ...new Array<number>(rank - 2).fill(1)];
  const unit = isConstant(ctx, scale, 1);
  const { xhat, rstd } =
    unit && isConstant(ctx, input(ctx, 2), 0) && staticFrom(e, x, 2)
      ? asLayerNormalization(ctx, e, x, eps)
      : renormalize(e, x, 2, eps);
  const spatial = Array.from({ length: rank - 2 }, (_v, i) => i + 2);
  let dx: string | undefined;
  if (ctx.needs[0]) {
    const gs = unit ? g : e.mul(g, e.reshape(scale, perChannel));
    dx = normalizeBackward(e, gs, xhat, rstd, spatial);
  }
  const others = [0, ...spatial];
  const dScale = ctx.needs[1] ? e.reduceSum(e.mul(g, xhat), others, false) : undefined;
  const dBias = ctx.needs[2] ? e.reduceSum(g, others, false) : undefined;
  return [dx, dScale, dBias];
});

/** Whether `name` is a constant held in memory whose every element is `value`. */
function isConstant(ctx: GradContext, name: string, value: number): boolean {
  const c = ctx.constant(name);
  return c !== undefined && Array.from(c, Number).every((v) => v === value);
}

function staticFrom(e: Emitter, x: string, axis: number): boolean {
  const shape = e.shape(x);
  return shape.length > axis && shape.slice(axis).every((d) => typeof d === 'number');
}

/** The forward node rewritten as LayerNormalization from axis 2 with unit scale: x̂ is its output. */
function asLayerNormalization(ctx: GradContext, e: Emitter, x: string, eps: number): Normalized {
  ctx.rewriteForward('LayerNormalization', [x, unitScale(e, x, 2)], {
    axis: attr.int(2),
    epsilon: attr.float(eps),
  });
  const rstd = ctx.forwardOutput(2, { dtype: e.dtype(x), shape: statsShape(e.shape(x), 2) });
  return { xhat: ctx.node.outputs[0] as string, rstd };
}
