/** The built-in gradient rules, one file per op. */
import { GradRegistry } from '../registry.js';
import type { GradRule } from '../rule.js';
import { addGrad } from './add.js';
import { castGrad } from './cast.js';
import { concatGrad } from './concat.js';
import { convGrad } from './conv.js';
import { cosGrad } from './cos.js';
import { divGrad } from './div.js';
import { erfGrad } from './erf.js';
import { expGrad } from './exp.js';
import { expandGrad } from './expand.js';
import { flattenGrad } from './flatten.js';
import { gatherGrad } from './gather.js';
import { geluGrad } from './gelu.js';
import { gemmGrad } from './gemm.js';
import { groupNormalizationGrad } from './group-normalization.js';
import { identityGrad } from './identity.js';
import { instanceNormalizationGrad } from './instance-normalization.js';
import { layerNormalizationGrad } from './layer-normalization.js';
import { logGrad } from './log.js';
import { matmulGrad } from './matmul.js';
import { mulGrad } from './mul.js';
import { negGrad } from './neg.js';
import { powGrad } from './pow.js';
import { reciprocalGrad } from './reciprocal.js';
import { reduceMeanGrad } from './reduce-mean.js';
import { reduceSumGrad } from './reduce-sum.js';
import { reluGrad } from './relu.js';
import { reshapeGrad } from './reshape.js';
import { resizeGrad } from './resize.js';
import { sigmoidGrad } from './sigmoid.js';
import { sinGrad } from './sin.js';
import { sliceGrad } from './slice.js';
import { softmaxGrad } from './softmax.js';
import { splitGrad } from './split.js';
import { sqrtGrad } from './sqrt.js';
import { squeezeGrad } from './squeeze.js';
import { subGrad } from './sub.js';
import { sumGrad } from './sum.js';
import { tanhGrad } from './tanh.js';
import { transposeGrad } from './transpose.js';
import { unsqueezeGrad } from './unsqueeze.js';
import { whereGrad } from './where.js';

export const BUILTIN_GRAD_RULES: readonly GradRule[] = [
  addGrad,
  castGrad,
  concatGrad,
  convGrad,
  cosGrad,
  divGrad,
  erfGrad,
  expGrad,
  expandGrad,
  flattenGrad,
  gatherGrad,
  geluGrad,
  gemmGrad,
  groupNormalizationGrad,
  identityGrad,
  instanceNormalizationGrad,
  layerNormalizationGrad,
  logGrad,
  matmulGrad,
  mulGrad,
  negGrad,
  powGrad,
  reciprocalGrad,
  reduceMeanGrad,
  reduceSumGrad,
  reluGrad,
  reshapeGrad,
  resizeGrad,
  sigmoidGrad,
  sinGrad,
  sliceGrad,
  softmaxGrad,
  splitGrad,
  sqrtGrad,
  squeezeGrad,
  subGrad,
  sumGrad,
  tanhGrad,
  transposeGrad,
  unsqueezeGrad,
  whereGrad,
];

/** A registry holding the built-in rules (a fresh one each call, so callers may add their own). */
export function defaultGradRegistry(): GradRegistry {
  return new GradRegistry(BUILTIN_GRAD_RULES);
}
