// Where compose.inference hands over from the base to the refiner: the SDXL split (denoising_end /
// denoising_start, a fresh scheduler for the refiner) or, with objective flow_matching, Wan's boundary (one
// scheduler for the whole run, the model switched while t ≥ boundary·1000).
import { flowHandoff, splitTimesteps } from '../../../diffusion/index.js';
import type { Scheduler, SchedulerKind } from '../../../diffusion/index.js';
import type { FlowSettings } from '../../../workflow/flow-objective.js';
import { schedulerConfig, schedulerMaker } from '../../../workflow/scheduler-config.js';
import { must, WorkflowError } from '../../../workflow/sessions.js';
import type { ComposeWith } from './schema.js';
import type { ComposeIndex } from '../../files/compose-index.js';

export interface ComposePlan {
  readonly makeScheduler: () => Scheduler;
  readonly stage1: Float64Array;
  readonly stage2: Float64Array;
  /** Index of the refiner's first step in the schedule. */
  readonly beginIndex: number;
  /** The base runs t ≥ cutoff. */
  readonly cutoff: number;
  /** Whether the refiner continues the base's scheduler (Wan) instead of starting a fresh one (SDXL). */
  readonly continueScheduler: boolean;
  /** What index.json says about the hand-off. */
  readonly record: Pick<ComposeIndex, 'split' | 'objective' | 'boundary' | 'shift'>;
  readonly describe: string;
}

/**
 * The hand-off for compose.inference. `given` is the `with` block as written (to tell a default from a
 * setting); `split` the split to use on the diffusion objective.
 */
export function composePlan(
  given: ComposeWith,
  kind: SchedulerKind,
  steps: number,
  split: number,
  flow: FlowSettings | undefined,
  fromModel: Readonly<Record<string, unknown>>,
): ComposePlan {
  const w = given;
  if (flow !== undefined) {
    const stray = (['split', 'prediction_type', 'zero_snr', 'timestep_spacing'] as const).find(
      (k) => w[k] !== undefined,
    );
    if (stray !== undefined)
      throw new WorkflowError(`${stray}: not used with objective: flow_matching; remove ${stray}`);
    if (kind !== 'flow_euler' && kind !== 'unipc') {
      throw new WorkflowError(
        `scheduler: objective flow_matching samples with flow_euler or unipc (flow sigmas), got ${kind}`,
      );
    }
    const config =
      kind === 'unipc'
        ? { prediction_type: 'flow_prediction', use_flow_sigmas: true, flow_shift: flow.shift }
        : { shift: flow.shift };
    const makeScheduler = must(schedulerMaker(kind, config));
    const probe = makeScheduler();
    probe.setTimesteps(steps);
    const h = flowHandoff(probe.timesteps, flow.boundary);
    return {
      makeScheduler,
      stage1: h.high,
      stage2: h.low,
      beginIndex: h.switchIndex,
      cutoff: h.boundaryTimestep,
      continueScheduler: true,
      record: {
        split: 1 - flow.boundary.boundary,
        objective: 'flow_matching',
        boundary: flow.boundary.boundary,
        shift: flow.shift,
      },
      describe: `${kind} shift ${flow.shift}, ${steps} steps, ${flow.boundary.from}: base ${h.high.length} steps (t ≥ ${h.boundaryTimestep}), refiner ${h.low.length}, one scheduler throughout`,
    };
  }
  const makeScheduler = must(schedulerMaker(kind, schedulerConfig(fromModel, w)));
  const probe = makeScheduler();
  probe.setTimesteps(steps);
  const plan = splitTimesteps(probe.timesteps, split, {
    numTrainTimesteps: probe.config.num_train_timesteps,
    order: probe.order,
  });
  if (!plan.ok) throw new WorkflowError(plan.error);
  const hand = plan.value;
  return {
    makeScheduler,
    stage1: hand.stage1,
    stage2: hand.stage2,
    beginIndex: hand.beginIndex,
    cutoff: hand.cutoff,
    continueScheduler: false,
    record: { split },
    describe: `${kind}, ${steps} steps, split ${split}: base ${hand.stage1.length} steps (t ≥ ${hand.cutoff}), refiner ${hand.stage2.length}`,
  };
}
