/**
 * Gemm: Y = α·op(A)·op(B) + β·C. dA = α·g·op(B)ᵀ (transposed back when transA), dB = α·op(A)ᵀ·g
 * (transposed back when transB), each a single Gemm with the transposes folded into its flags;
 * dC = β·g summed over C's broadcast axes.
 */
import { dy, gradRule, input } from '../rule.js';
import { floatAttr, intAttr } from '../../attributes.js';

export const gemmGrad = gradRule('Gemm', (ctx, e) => {
  const g = dy(ctx);
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  const tA = intAttr(ctx.node, 'transA') === 1;
  const tB = intAttr(ctx.node, 'transB') === 1;
  const alpha = floatAttr(ctx.node, 'alpha', 1);
  const beta = floatAttr(ctx.node, 'beta', 1);
  const da = ctx.needs[0]
    ? tA
      ? e.gemm(b, g, tB, true, alpha)
      : e.gemm(g, b, false, !tB, alpha)
    : undefined;
  const db = ctx.needs[1]
    ? tB
      ? e.gemm(g, a, true, tA, alpha)
      : e.gemm(a, g, !tA, false, alpha)
    : undefined;
  const c = ctx.node.inputs[2];
  const dc = ctx.needs[2] && c !== undefined ? e.reduceTo(e.scale(g, beta), c) : undefined;
  return [da, db, dc];
});
