/**
 * InstanceNormalization: x̂ and 1/σ per (sample, channel) recomputed by one LayerNormalization over the
 * spatial axes; g = dY·scale; dScale and dB sum dY·x̂ and dY over every axis but the channel axis.
 * A scale that is a constant of ones (moe's GroupNorm decomposition) skips the multiply.
 */
import { dy, gradRule, input } from '../rule.js';
import { floatAttr } from '../../attributes.js';
import { normalizeBackward, renormalize } from '../normalize.js';

export const instanceNormalizationGrad = gradRule('InstanceNormalization', (ctx, e) => {
  const g = dy(ctx);
  const x = input(ctx, 0);
  const scale = input(ctx, 1);
  const rank = e.shape(x).length;
  const eps = floatAttr(ctx.node, 'epsilon', 1e-5);
  const { xhat, rstd } = renormalize(e, x, 2, eps);
  const perChannel = [e.shape(scale)[0] ?? -1, ...new Array<number>(rank - 2).fill(1)];
  const constScale = ctx.constant(scale);
  const unit = constScale !== undefined && Array.from(constScale, Number).every((v) => v === 1);
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
