// Cross-stage rules for flow-matching experts (objective: flow_matching): both experts, the sampler and the
// evaluation use one objective and one shift, and compose.inference and evaluate split where the experts
// were trained to meet (the boundary, given as boundary, boundary_snr or strength). Values known before
// running only; a value from another node's output is left alone.
import type { Diagnostic, SourceRange } from '../pipeline/diagnostic.js';
import type { RuleContext, WithValue } from '../pipeline/rule-api.js';
import type { JsonValue, Pipeline } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import { sigmaAtSnr } from '../diffusion/flow-targets.js';
import type { Pair } from './expert-inputs.js';

const DEFAULT_BOUNDARY = 0.875;

const show = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : JSON.stringify(v));
const fmt = (x: number): string => String(Number(x.toPrecision(6)));

interface Known<T> {
  readonly value: T;
  /** Where it is written; undefined when it is the default. */
  readonly at?: WithValue;
}

export interface FlowPairResult {
  /** Whether the pair trains with flow matching (then the strength/split rules do not apply). */
  readonly flow: boolean;
  readonly diagnostics: Diagnostic[];
}

/** The objective, shift and boundary rules for one pair; `flow` says whether any of its nodes uses flow matching. */
export function flowPairRules(pipeline: Pipeline, ctx: RuleContext, pair: Pair): FlowPairResult {
  const nodes = [pair.base, pair.refiner, ...(pair.consumer ? [pair.consumer] : [])];
  const out: Diagnostic[] = [];
  const range = (id: NodeId): SourceRange | undefined => pipeline.nodes.get(id)?.range;
  const objective = (id: NodeId): Known<JsonValue | undefined> => {
    const at = ctx.withValue(id, ['objective']);
    return at ? { value: at.value, at } : { value: 'diffusion' };
  };
  const objectives = nodes.map((id) => ({ id, ...objective(id) }));
  const flow = objectives.some((o) => o.value === 'flow_matching');
  if (!flow) return { flow: false, diagnostics: out };
  const [first] = objectives.filter((o) => o.value === 'flow_matching');
  for (const o of objectives) {
    if (o.value === undefined || o.value === 'flow_matching' || first === undefined) continue;
    const where = o.at?.range ?? range(o.id);
    out.push({
      severity: 'error',
      code: 'flow-objective',
      message: `\`${o.id}\` has objective ${show(o.value)}${o.at ? '' : ' (the default)'} but \`${first.id}\` trains with flow_matching: both experts, the sampler and the evaluation must share one objective`,
      ...(where ? { range: where } : {}),
      ...(first.at ? { related: [{ message: `objective of \`${first.id}\``, range: first.at.range }] } : {}),
      suggestion: 'objective: flow_matching (a `defaults:` block keeps the nodes together)',
    });
  }

  const shift = (id: NodeId): Known<number> | undefined => {
    const at = ctx.withValue(id, ['shift']);
    if (at === undefined) return { value: 1 };
    return typeof at.value === 'number' ? { value: at.value, at } : undefined;
  };
  const baseShift = shift(pair.base);
  for (const id of nodes.slice(1)) {
    const s = shift(id);
    if (!baseShift || !s || s.value === baseShift.value) continue;
    // At the differing value, or at the node that leaves it to the default; the base's value beside it.
    const where = s.at?.range ?? range(id);
    const related = baseShift.at;
    out.push({
      severity: 'error',
      code: 'flow-shift',
      message: `shift differs: \`${id}\` has ${fmt(s.value)}${s.at ? '' : ' (the default)'}, the base \`${pair.base}\` ${fmt(baseShift.value)}${baseShift.at ? '' : ' (the default)'}; the experts and the sampler must share one shift (it decides which σ a timestep means)`,
      ...(where ? { range: where } : {}),
      ...(related ? { related: [{ message: `shift of \`${pair.base}\``, range: related.range }] } : {}),
      suggestion: 'shift: ${{ params.shift }} on every node of the pair',
    });
  }

  const boundary = (id: NodeId): Known<number> | undefined => {
    for (const [key, map] of [
      ['boundary', (x: number) => x],
      ['boundary_snr', sigmaAtSnr],
      ['strength', (x: number) => x],
    ] as const) {
      const at = ctx.withValue(id, [key]);
      if (at === undefined) continue;
      return typeof at.value === 'number' ? { value: map(at.value), at } : undefined;
    }
    return { value: DEFAULT_BOUNDARY };
  };
  const b = boundary(pair.base);
  for (const id of nodes.slice(1)) {
    const other = boundary(id);
    if (!b || !other || Math.abs(other.value - b.value) < 1e-9) continue;
    const where = other.at?.range ?? range(id);
    const isConsumer = id === pair.consumer;
    out.push({
      severity: 'error',
      code: isConsumer ? 'flow-handoff' : 'flow-boundary',
      message: isConsumer
        ? `\`${id}\` splits at boundary ${fmt(other.value)}${other.at ? '' : ' (the default)'} (t ${fmt(other.value * 1000)}), but the experts were trained to meet at ${fmt(b.value)} (t ${fmt(b.value * 1000)}): the hand-off must be the training boundary`
        : `boundary differs: refiner \`${id}\` ${fmt(other.value)}${other.at ? '' : ' (the default)'}, base \`${pair.base}\` ${fmt(b.value)}${b.at ? '' : ' (the default)'}; the σ between them would belong to ${other.value > b.value ? 'both experts' : 'neither expert'}`,
      ...(where ? { range: where } : {}),
      ...(b.at && other.at
        ? { related: [{ message: `boundary of \`${pair.base}\``, range: b.at.range }] }
        : {}),
      suggestion: 'boundary: ${{ params.boundary }} on both experts and on compose.inference and evaluate',
    });
  }
  return { flow: true, diagnostics: out };
}
