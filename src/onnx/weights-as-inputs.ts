/**
 * Turns a model's weight initializers into graph inputs, so a trainer can feed new weights on every step
 * to one session instead of rebuilding it. Constants stay initializers.
 */
import type { Initializer, Model, ValueInfo } from './ir.js';

export interface LiftedModel {
  readonly model: Model;
  /** The weights taken out, in graph-input order: their initial values. */
  readonly weights: readonly Initializer[];
}

export function weightsAsInputs(model: Model, only?: ReadonlySet<string>): LiftedModel {
  const g = model.graph;
  const lift = (t: Initializer): boolean => t.role === 'weight' && (only === undefined || only.has(t.name));
  const weights = g.initializers.filter(lift);
  const inputs: ValueInfo[] = [
    ...g.inputs,
    ...weights.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.dims })),
  ];
  return {
    model: { ...model, graph: { ...g, inputs, initializers: g.initializers.filter((t) => !lift(t)) } },
    weights,
  };
}
