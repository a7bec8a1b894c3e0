// The typed model of a loaded pipeline: what `loadPipeline` produces and the planner consumes.
// Every value a user wrote keeps its source range so later stages can point at it.
import type { NodeId } from '../util/brand.js';
import type { SourceRange } from './diagnostic.js';
import type { JsonScalar, JsonValue, Resources } from '../contract/values.js';
import type { Sweep } from './sweep.js';

export type { JsonScalar, JsonValue, Resources } from '../contract/values.js';

/** A pipeline parameter value (`params:` in the file, `--param k=v` on the command line). */
export type ParamValue = string | number | boolean;

/** The AST of a `${{ … }}` expression. */
export type Expr =
  | { readonly kind: 'literal'; readonly value: string | number | boolean; readonly range: SourceRange }
  /** `params.x`, `nodes.a.outputs.b`, `env.NAME`: the dotted path as written. */
  | { readonly kind: 'ref'; readonly path: readonly string[]; readonly range: SourceRange }
  | { readonly kind: 'unary'; readonly op: '!' | '-'; readonly arg: Expr; readonly range: SourceRange }
  | {
      readonly kind: 'binary';
      readonly op: '+' | '-' | '*' | '/' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';
      readonly left: Expr;
      readonly right: Expr;
      readonly range: SourceRange;
    }
  | {
      readonly kind: 'call';
      readonly fn: string;
      readonly args: readonly Expr[];
      readonly range: SourceRange;
    };

/**
 * A `with:` value with its expressions parsed. A string that is exactly one `${{ expr }}` evaluates to the
 * expression's own type (a number stays a number); any other string with `${{ }}` parts is interpolated.
 */
export type WithTemplate =
  | { readonly kind: 'literal'; readonly value: JsonScalar; readonly range: SourceRange }
  | {
      readonly kind: 'interpolated';
      readonly parts: readonly (string | Expr)[];
      readonly range: SourceRange;
    }
  | { readonly kind: 'list'; readonly items: readonly WithTemplate[]; readonly range: SourceRange }
  | {
      readonly kind: 'map';
      readonly entries: readonly (readonly [key: string, value: WithTemplate])[];
      readonly range: SourceRange;
    };

export interface RetryPolicy {
  /** Extra attempts after the first failure. */
  readonly limit: number;
  /** Delay before the first retry; doubles each time. */
  readonly backoffMs: number;
}

export interface PipelineNode {
  readonly id: NodeId;
  /**
   * For a node of a sweep's variant (`base[strength=0.25]`): the node as the file names it. Its `with`
   * refers to upstream nodes by these names, and its fingerprint records upstream results under them, so
   * a variant's node has the fingerprint the same node has in a plain run with those parameters.
   */
  readonly origin?: NodeId;
  /** For a variant's node: the parameters it resolves with (the pipeline's, with the variant's values). */
  readonly params?: ReadonlyMap<string, ParamValue>;
  /** For a variant's node: the node standing for each upstream node its `with` names. */
  readonly upstreamAs?: Readonly<Record<string, NodeId>>;
  /** The step type name, e.g. `command`, `train.expert`. */
  readonly step: string;
  /** The range of the node's key under `nodes:`. */
  readonly range: SourceRange;
  /** Explicit `needs` plus edges implied by `${{ nodes.X.… }}` references; sorted, no duplicates. */
  readonly needs: readonly NodeId[];
  readonly with: WithTemplate;
  readonly resources: Resources;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
}

export interface ExecutorConfig {
  readonly kind: 'local' | 'slurm';
  /** Executor-specific settings (partition, account, qos, extra sbatch flags, …). */
  readonly options: Readonly<Record<string, JsonValue>>;
}

export interface Pipeline {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /** Directory of the file: relative inputs and `plugins/` resolve against it. */
  readonly dir: string;
  readonly name: string;
  /** Parameters after `--param` overrides. */
  readonly params: ReadonlyMap<string, ParamValue>;
  /** Nodes in file order. */
  readonly nodes: ReadonlyMap<NodeId, PipelineNode>;
  /** A topological order of the nodes; among nodes ready at the same time, file order. */
  readonly order: readonly NodeId[];
  /** npm package names or paths listed under `plugins:`. */
  readonly plugins: readonly string[];
  readonly executor: ExecutorConfig | undefined;
  /** `sweep:` as checked against the parameters (those fixed by `--param` left out); absent without one. */
  readonly sweep?: Sweep;
  /** `objective:`: what `moe compare` ranks a sweep's variants by. */
  readonly objective?: Objective;
}

export interface Objective {
  readonly node: NodeId;
  /** A metric the node's step reports, e.g. `loss.composed.full`. */
  readonly metric: string;
  readonly goal: 'min' | 'max';
}

/** What expression evaluation may read while resolving a node's `with`. */
export interface ResolveContext {
  readonly params: ReadonlyMap<string, ParamValue>;
  readonly env: (name: string) => string | undefined;
  /** The absolute path of an upstream node's named output. */
  readonly output: (node: NodeId, name: string) => string;
}

/** A resolved `with` block and what it read from the environment (part of the fingerprint). */
export interface ResolvedWith {
  readonly value: JsonValue;
  readonly envRead: readonly string[];
}
