/**
 * MatMul (rank ≥ 2, numpy broadcasting of the batch axes): dA = g·Bᵀ, dB = Aᵀ·g. When B is a rank-2
 * weight and A is batched (a linear layer), dB is one Gemm over the flattened rows instead of a batched
 * MatMul followed by a sum, and dA reads B's own transpose source when B is a Transpose.
 */
import { dy, gradRule, input } from '../rule.js';
import { GradRuleError } from '../errors.js';

function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_v, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return perm;
}

export const matmulGrad = gradRule('MatMul', (ctx, e) => {
  const g = dy(ctx);
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  const ra = e.shape(a).length;
  const rb = e.shape(b).length;
  if (ra < 2 || rb < 2) throw new GradRuleError('MatMul with a rank-1 operand has no gradient rule');
  let da: string | undefined;
  let db: string | undefined;
  if (ctx.needs[0]) {
    const full = e.matmul(g, e.transpose(b, swapLast(rb)));
    da = rb === 2 ? full : e.reduceTo(full, a);
  }
  if (ctx.needs[1]) {
    if (rb === 2) {
      const k = e.shape(a)[ra - 1];
      const n = e.shape(g)[ra - 1];
      if (typeof k !== 'number' || typeof n !== 'number') {
        throw new GradRuleError(`the inner dims of ${a} and ${g} must be static`);
      }
      const a2 = ra === 2 ? a : e.reshape(a, [-1, k]);
      const g2 = ra === 2 ? g : e.reshape(g, [-1, n]);
      db = e.gemm(a2, g2, true, false);
    } else {
      db = e.reduceTo(e.matmul(e.transpose(a, swapLast(ra)), g), b);
    }
  }
  return [da, db];
});
