/** Cast: the gradient cast back to the input type. */
import type { GradRule } from '../rule.js';
import { dy, input } from '../rule.js';
import { attr } from '../../attributes.js';
import { onnxDataType } from '../../dtype.js';

export const castGrad: GradRule = {
  op: 'Cast',
  grad: (ctx) => {
    const x = input(ctx, 0);
    return [ctx.e.op('Cast', [dy(ctx)], { to: attr.int(onnxDataType(ctx.e.dtype(x))) }, ctx.e.fact(x))];
  },
};
