/**
 * LayerNormalization (opset 17): the forward node is asked for its Mean and InvStdDev outputs (free: the
 * kernel computes them anyway), x̂ is rebuilt from them, and the normalisation backward applies to
 * g = dY·scale. dScale and dB sum dY·x̂ and dY over the leading axes.
 */
import type { Dim } from '../../ir.js';
import { dy, gradRule, input } from '../rule.js';
import { normAxis } from '../emitter.js';
import { intAttr } from '../../attributes.js';
import { normalizeBackward } from '../normalize.js';

export const layerNormalizationGrad = gradRule('LayerNormalization', (ctx, e) => {
  const g = dy(ctx);
  const x = input(ctx, 0);
  const scale = input(ctx, 1);
  const shape = e.shape(x);
  const axis = normAxis(intAttr(ctx.node, 'axis', -1), shape.length);
  const stats: Dim[] = shape.map((d, i) => (i < axis ? d : 1));
  const dtype = e.dtype(x);
  const mean = ctx.forwardOutput(1, { dtype, shape: stats });
  const rstd = ctx.forwardOutput(2, { dtype, shape: stats });
  const xhat = e.mul(e.sub(x, mean), rstd);
  const axes = Array.from({ length: shape.length - axis }, (_v, i) => axis + i);
  const dx = ctx.needs[0] ? normalizeBackward(e, e.mul(g, scale), xhat, rstd, axes) : undefined;
  const dScale = ctx.needs[1] ? e.reduceTo(e.mul(g, xhat), scale) : undefined;
  const bias = ctx.node.inputs[2];
  const dBias = ctx.needs[2] && bias !== undefined && bias !== '' ? e.reduceTo(g, bias) : undefined;
  return [dx, dScale, dBias];
});
