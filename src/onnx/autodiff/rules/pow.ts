/** Pow: d(xᵉ) = g·e·xᵉ⁻¹ for x (g·2x for a constant 2), and g·xᵉ·ln x for e. */
import { dy, gradRule, input } from '../rule.js';

export const powGrad = gradRule('Pow', (ctx, e) => {
  const g = dy(ctx);
  const x = input(ctx, 0);
  const p = input(ctx, 1);
  let dx: string | undefined;
  if (ctx.needs[0]) {
    const c = ctx.constant(p);
    const k = c !== undefined && c.length === 1 ? Number(c[0]) : undefined;
    if (k === 2) dx = e.reduceTo(e.mul(g, e.scale(x, 2)), x);
    else if (k !== undefined)
      dx = e.reduceTo(e.mul(g, e.scale(e.op('Pow', [x, e.scalar(k - 1, e.dtype(x))]), k)), x);
    else {
      const pm1 = e.sub(p, e.scalar(1, e.dtype(p)));
      dx = e.reduceTo(e.mul(g, e.mul(p, e.op('Pow', [x, pm1]))), x);
    }
  }
  const dp = ctx.needs[1]
    ? e.reduceTo(e.mul(g, e.mul(ctx.node.outputs[0] as string, e.op('Log', [x]))), p)
    : undefined;
  return [dx, dp];
});
