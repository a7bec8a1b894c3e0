// describeFlowSplit: what a two-expert flow-matching setup (Wan 2.2 style) does at inference and in training,
// as one plain record. `moe schedule --boundary …` prints it.
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { DIFFUSERS_CLASS } from './config.js';
import type { SchedulerKind } from './config.js';
import { createScheduler } from './create.js';
import type { BoundarySpec, FlowBoundary, FlowExpertRange } from './flow-experts.js';
import { flowBoundary, flowExpertRange, flowHandoff } from './flow-experts.js';

export interface DescribeFlowSplitOptions {
  /** flow_euler (FlowMatchEulerDiscreteScheduler) or unipc (with flow sigmas, Wan's default). */
  readonly scheduler: SchedulerKind | string;
  readonly steps: number;
  /** flow_euler's `shift` or UniPC's `flow_shift`. Default 1. */
  readonly shift?: number;
  /** Where the experts meet. Default Wan 2.2 text-to-video's boundary_ratio, 0.875. */
  readonly boundary?: BoundarySpec;
  /** Dynamic shifting's mu (then the static shift is not used). */
  readonly mu?: number;
}

export interface FlowStagePlan {
  readonly timesteps: readonly number[];
  readonly sigmas: readonly number[];
  /** Index of the expert's first step in the schedule. */
  readonly beginIndex: number;
  readonly training: FlowExpertRange;
}

export interface FlowSplitDescription {
  readonly scheduler: SchedulerKind;
  readonly diffusersClass: string;
  readonly steps: number;
  readonly shift: number;
  readonly mu?: number;
  readonly boundary: FlowBoundary;
  readonly high: FlowStagePlan;
  readonly low: FlowStagePlan;
  readonly warnings: readonly string[];
}

/**
 * Lays out a flow-matching split: the schedule, the steps each expert runs under Wan's hand-off (the
 * high-noise expert while t ≥ boundary·T, one sampler throughout), σ at each step, and each expert's
 * training range. Every invalid option is reported at once.
 */
export function describeFlowSplit(
  options: DescribeFlowSplitOptions,
): Result<FlowSplitDescription, readonly string[]> {
  const problems: string[] = [];
  const shift = options.shift ?? 1;
  const kind = options.scheduler;
  const config: Record<string, unknown> =
    kind === 'unipc' || kind === 'UniPCMultistepScheduler'
      ? { prediction_type: 'flow_prediction', use_flow_sigmas: true, flow_shift: shift }
      : { shift };
  if (options.mu !== undefined) config['use_dynamic_shifting'] = true;
  const made = createScheduler(kind, config);
  if (!made.ok) problems.push(...made.error.map((issue) => issue.message));
  else if (made.value.scheduler.config.prediction_type !== 'flow_prediction') {
    problems.push(`scheduler: expected flow_euler or unipc for a flow-matching split, got "${kind}"`);
  }
  if (!Number.isInteger(options.steps) || options.steps < 1 || options.steps > 1000) {
    problems.push(`steps: expected an integer in 1..1000, got ${String(options.steps)}`);
  }
  // Dynamic shifting scales by e^mu: past about 709 that is infinite and every σ NaN.
  if (options.mu !== undefined && !Number.isFinite(Math.exp(options.mu))) {
    problems.push(`mu: expected a number below 709 (e^mu must be finite), got ${String(options.mu)}`);
  }
  const boundary = flowBoundary(options.boundary ?? { boundary: 0.875 });
  if (!boundary.ok) problems.push(boundary.error);
  if (!made.ok || !boundary.ok || problems.length > 0) return err(problems);
  const s = made.value.scheduler;
  const T = s.config.num_train_timesteps;
  s.setTimesteps(options.steps, options.mu === undefined ? {} : { mu: options.mu });
  const sigmas = s.sigmas ?? new Float64Array(s.timesteps.length + 1);
  const h = flowHandoff(s.timesteps, boundary.value);
  const stage = (from: number, to: number, role: 'base' | 'refiner'): FlowStagePlan => ({
    timesteps: Array.from(s.timesteps.subarray(from, to)),
    sigmas: Array.from(sigmas.subarray(from, to)),
    beginIndex: from,
    training: flowExpertRange(role, boundary.value, T),
  });
  const warnings: string[] = [];
  if (h.high.length === 0 || h.low.length === 0) {
    warnings.push(
      `with this shift, boundary and step count the ${h.high.length === 0 ? 'high' : 'low'}-noise expert runs no steps`,
    );
  }
  return ok({
    scheduler: s.kind,
    diffusersClass: DIFFUSERS_CLASS[s.kind],
    steps: options.steps,
    shift,
    ...(options.mu === undefined ? {} : { mu: options.mu }),
    boundary: boundary.value,
    high: stage(0, h.switchIndex, 'base'),
    low: stage(h.switchIndex, s.timesteps.length, 'refiner'),
    warnings,
  });
}
