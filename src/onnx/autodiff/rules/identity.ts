/** Identity: g itself. */
import { dy, gradRule } from '../rule.js';

export const identityGrad = gradRule('Identity', (ctx) => [dy(ctx)]);
