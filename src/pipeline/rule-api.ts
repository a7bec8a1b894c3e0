// The cross-node rule API: what the loader needs from the outside besides the step types
// (src/contract/lookup.ts): extra rules, and what they may ask of a pipeline.
import type { Diagnostic, SourceRange } from './diagnostic.js';
import type { JsonValue, Pipeline, PipelineNode } from './types.js';
import type { NodeId } from '../util/brand.js';

/** A `with` value as a rule sees it. */
export interface WithValue {
  /** The value as written; strings keep their `${{ }}` text. */
  readonly raw: JsonValue;
  /**
   * The value with its expressions evaluated when they read only literals and `params`; undefined when it
   * depends on other nodes or the environment (known only at run time).
   */
  readonly value: JsonValue | undefined;
  readonly range: SourceRange;
  /** The range of the key that holds the value, when it sits in a map. */
  readonly keyRange?: SourceRange;
}

export interface RuleContext {
  /** A node's `with` value at a path of keys and list indexes, e.g. `['schedule', 'prediction_type']`. */
  withValue(node: NodeId, path: readonly (string | number)[]): WithValue | undefined;
  /** The nodes that use a step type, in file order. */
  nodesOfStep(step: string): readonly PipelineNode[];
  /** Where a parameter is declared, when it is. */
  paramRange(name: string): SourceRange | undefined;
}

/**
 * A cross-node check beyond what schemas express ("base and refiner must share prediction_type").
 * Workflows register rules; the engine itself knows nothing about what they check.
 */
export type PipelineRule = (pipeline: Pipeline, ctx: RuleContext) => readonly Diagnostic[];
