/** Softmax (opset 13+, one axis): y·(g − Σ(g·y)) with the sum along the softmax axis. */
import { dy, gradRule } from '../rule.js';
import { normAxis } from '../emitter.js';
import { intAttr } from '../../attributes.js';

export const softmaxGrad = gradRule('Softmax', (ctx, e) => {
  const y = ctx.node.outputs[0] as string;
  const g = dy(ctx);
  const axis = normAxis(intAttr(ctx.node, 'axis', -1), e.shape(y).length);
  const dot = e.reduceSum(e.mul(g, y), [axis], true);
  return [e.mul(y, e.sub(g, dot))];
});
