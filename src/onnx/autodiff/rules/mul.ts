/**
 * Mul: d(a·b) = g·b for a and g·a for b, each summed over its broadcast axes.
 * SiLU, x·σ(x) with σ(x) a Sigmoid of the other operand, takes its whole derivative here:
 * dx = g·(s + y·(1 − s)) from the forward's s = σ(x) and y = x·s, four element-wise ops where the two
 * rules apart emit six (g·s, g·x, the Sigmoid's three and the Sum of both paths). The Sigmoid then
 * receives no gradient from this node.
 */
import type { Emitter } from '../emitter.js';
import type { GradContext, InputGrads } from '../rule.js';
import { broadcastGrads, dy, gradRule, input } from '../rule.js';

export const mulGrad = gradRule('Mul', (ctx, e) => {
  const g = dy(ctx);
  const a = input(ctx, 0);
  const b = input(ctx, 1);
  return siluGrad(ctx, e, g, a, b) ?? broadcastGrads(ctx, [() => e.mul(g, b), () => e.mul(g, a)]);
});

/** The SiLU form's gradients, or undefined when the node is not x·σ(x) (in either order). */
function siluGrad(ctx: GradContext, e: Emitter, g: string, a: string, b: string): InputGrads | undefined {
  const sigmoidOf = (s: string, x: string): boolean => {
    const p = e.producer(s);
    return p?.op === 'Sigmoid' && p.inputs[0] === x && (p.domain === undefined || p.domain === '');
  };
  const xAt = sigmoidOf(b, a) ? 0 : sigmoidOf(a, b) ? 1 : -1;
  if (xAt < 0 || !ctx.needs[xAt]) return undefined;
  const [x, s] = xAt === 0 ? [a, b] : [b, a];
  const shape = e.shape(x);
  const yShape = e.shape(ctx.node.outputs[0] as string);
  if (shape.length !== yShape.length || shape.some((d, i) => d !== yShape[i])) return undefined;
  const y = ctx.node.outputs[0] as string;
  const slope = e.add(s, e.mul(y, e.sub(e.scalar(1, e.dtype(s)), s)));
  const dx = e.mul(g, slope);
  return xAt === 0 ? [dx, undefined] : [undefined, dx];
}
