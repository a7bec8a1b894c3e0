/** The registry of per-op shape rules and what they compute: facts about values. */
import type { DataType, Dim, Node, Shape } from '../ir.js';

/** What is known about a value: its type, its shape when known, and its contents when small and constant. */
export interface ValueFacts {
  readonly dtype: DataType;
  readonly shape?: Shape;
  /** The elements of a small 1-D or scalar tensor, when known statically (dims may be symbolic). */
  readonly value?: readonly Dim[];
}

export type ShapeRule = (node: Node, inputs: readonly (ValueFacts | undefined)[]) => ValueFacts[];

const rules = new Map<string, ShapeRule>();

/** Adds the shape rule for an op; an op can have one rule only. */
export function registerShapeRule(op: string, rule: ShapeRule): void {
  if (rules.has(op)) throw new Error(`shape rule for ${op} already registered`);
  rules.set(op, rule);
}

/** The rule for an op, if any. */
export function shapeRule(op: string): ShapeRule | undefined {
  return rules.get(op);
}
