/** Cast: the gradient cast back to the input type. */
import { dy, gradRule, input } from '../rule.js';
import { attr } from '../../attributes.js';
import { onnxDataType } from '../../dtype.js';

export const castGrad = gradRule('Cast', (ctx, e) => {
  const x = input(ctx, 0);
  return [e.op('Cast', [dy(ctx)], { to: attr.int(onnxDataType(e.dtype(x))) }, e.fact(x))];
});
