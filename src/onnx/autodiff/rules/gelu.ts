/** Gelu (exact, approximate="none"): g·(Φ(x) + x·φ(x)), Φ the normal CDF and φ its density. */
import { dy, gradRule, input } from '../rule.js';
import { stringAttr } from '../../attributes.js';
import { GradRuleError } from '../errors.js';

export const geluGrad = gradRule('Gelu', (ctx, e) => {
  if (stringAttr(ctx.node, 'approximate', 'none') !== 'none') {
    throw new GradRuleError('only the exact (approximate="none") Gelu has a gradient rule');
  }
  const x = input(ctx, 0);
  const dt = e.dtype(x);
  const cdf = e.scale(e.add(e.op('Erf', [e.scale(x, Math.SQRT1_2)]), e.scalar(1, dt)), 0.5);
  const pdf = e.op('Exp', [e.scale(e.mul(x, x), -0.5)]);
  const xpdf = e.scale(e.mul(x, pdf), 1 / Math.sqrt(2 * Math.PI));
  return [e.mul(dy(ctx), e.add(cdf, xpdf))];
});
