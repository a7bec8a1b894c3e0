/** The contract of a gradient rule: what it is given about one forward node, and what it returns. */
import type { Node } from '../ir.js';
import type { ValueFacts } from '../shape-inference.js';
import type { Emitter } from './emitter.js';
import { GradRuleError } from './errors.js';

export interface GradContext {
  readonly node: Node;
  /** Emits backward nodes (named under this node) and knows every value's dtype and shape. */
  readonly e: Emitter;
  /** The gradient of the loss with respect to each output; undefined where no gradient flows back. */
  readonly dy: readonly (string | undefined)[];
  /** Which inputs need a gradient (they lie on a path from a differentiated weight). */
  readonly needs: readonly boolean[];
  /**
   * The name of the forward node's optional output `index` (LayerNormalization's Mean or InvStdDev),
   * adding it to the forward node when the forward graph did not ask for it; `facts` describe it.
   */
  readonly forwardOutput: (index: number, facts: ValueFacts) => string;
  /**
   * Rewrites the forward node as another op over `inputs` that computes the same outputs, in a form whose
   * optional outputs the backward can reuse (InstanceNormalization as LayerNormalization, which gives
   * InvStdDev). The node keeps its name and output names; `ctx.node` shows the new form.
   */
  readonly rewriteForward: (op: string, inputs: readonly string[], attributes: Node['attributes']) => void;
  /** The contents of a constant initializer, when `name` is one held in memory (axes, scales, ones). */
  readonly constant: (name: string) => ArrayLike<number | bigint> | undefined;
}

/** Input gradients, by input position; undefined where not needed or not differentiable. */
export type InputGrads = readonly (string | undefined)[];

export interface GradRule {
  /** The ONNX op (default domain) this rule differentiates. */
  readonly op: string;
  readonly grad: (ctx: GradContext) => InputGrads;
}

/** The input at `i` (a rule's own precondition: the node has it). */
export function input(ctx: GradContext, i: number): string {
  const x = ctx.node.inputs[i];
  if (x === undefined || x === '') throw new GradRuleError(`input ${i} of ${ctx.node.op} is missing`);
  return x;
}

/** The gradient of output `i`, which must exist for single-output ops. */
export function dy(ctx: GradContext, i = 0): string {
  const g = ctx.dy[i];
  if (g === undefined) throw new GradRuleError(`no gradient reaches output ${i}`);
  return g;
}

/** The static integer contents of an input (axes, shapes, starts), or an error naming it. */
export function intsInput(ctx: GradContext, i: number): number[] {
  const name = input(ctx, i);
  const known = ctx.e.fact(name).value;
  if (known && known.every((d) => typeof d === 'number')) return known as number[];
  const c = ctx.constant(name);
  if (c) return Array.from(c, Number);
  throw new GradRuleError(`input ${i} (${name}) of ${ctx.node.op} must be a constant`);
}

/** Declares the rule for `op`; `grad` is handed the context and its emitter, which every rule builds with. */
export function gradRule(op: string, grad: (ctx: GradContext, e: Emitter) => InputGrads): GradRule {
  return { op, grad: (ctx) => grad(ctx, ctx.e) };
}

/**
 * The input gradients of a broadcasting op: `partials[i]` builds input i's gradient at the output's
 * shape (only when input i needs one, in input order), which is then summed over the axes input i was
 * broadcast along. An absent entry is an input with no gradient.
 */
export function broadcastGrads(
  ctx: GradContext,
  partials: readonly ((() => string) | undefined)[],
): InputGrads {
  return partials.map((partial, i) =>
    partial !== undefined && ctx.needs[i] ? ctx.e.reduceTo(partial(), input(ctx, i)) : undefined,
  );
}
