/**
 * GroupNormalization (opset 21, per-channel scale and bias): x viewed as [N, G, rest], x̂ and 1/σ per
 * group recomputed by one LayerNormalization, the normalisation backward on g = dY·scale in that view,
 * then reshaped back. dScale and dB sum dY·x̂ and dY over every axis but the channel axis.
 */
import { dy, gradRule, input } from '../rule.js';
import { floatAttr, intAttr } from '../../attributes.js';
import { GradRuleError } from '../errors.js';
import { normalizeBackward, renormalize } from '../normalize.js';

export const groupNormalizationGrad = gradRule('GroupNormalization', (ctx, e) => {
  const g = dy(ctx);
  const x = input(ctx, 0);
  const scale = input(ctx, 1);
  const shape = e.staticShape(x);
  const groups = intAttr(ctx.node, 'num_groups', 0);
  if (groups <= 0) throw new GradRuleError('num_groups must be positive');
  const [n, c] = shape as [number, number];
  const rest = shape.slice(1).reduce((a, d) => a * d, 1) / groups;
  const eps = floatAttr(ctx.node, 'epsilon', 1e-5);
  const grouped = [n, groups, rest];
  const { xhat, rstd } = renormalize(e, e.reshape(x, grouped), 2, eps);
  const perChannel = [c, ...new Array<number>(shape.length - 2).fill(1)];
  const xhatFull = e.reshape(xhat, shape);
  const others = [0, ...Array.from({ length: shape.length - 2 }, (_v, i) => i + 2)];
  let dx: string | undefined;
  if (ctx.needs[0]) {
    const gs = e.reshape(e.mul(g, e.reshape(scale, perChannel)), grouped);
    dx = e.reshape(normalizeBackward(e, gs, xhat, rstd, [2]), shape);
  }
  const dScale = ctx.needs[1] ? e.reduceSum(e.mul(g, xhatFull), others, false) : undefined;
  const dBias = ctx.needs[2] ? e.reduceSum(g, others, false) : undefined;
  return [dx, dScale, dBias];
});
