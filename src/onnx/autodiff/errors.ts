/** Why a training graph could not be built: a value that does not exist, a missing rule, an unsupported case. */
export interface AutodiffError {
  readonly reason:
    'unknown-value' | 'not-scalar' | 'not-float' | 'no-rule' | 'unsupported' | 'duplicate-output';
  readonly message: string;
  /** The op and node the problem is about, where there is one. */
  readonly op?: string;
  readonly node?: string;
}

/**
 * Thrown by a gradient rule for a case it cannot differentiate (a symbolic dim it needs to know, an
 * attribute it does not support). buildTrainingGraph turns it into an AutodiffError naming the node.
 */
export class GradRuleError extends Error {
  override readonly name = 'GradRuleError';
}
