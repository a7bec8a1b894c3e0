/** Identity: g itself. */
import type { GradRule } from '../rule.js';
import { dy } from '../rule.js';

export const identityGrad: GradRule = {
  op: 'Identity',
  grad: (ctx) => {
    return [dy(ctx)];
  },
};
