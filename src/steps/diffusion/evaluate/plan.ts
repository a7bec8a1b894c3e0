// What evaluate measures for an objective: the fixed timesteps, each expert's band, and how x_t and the
// target are formed (the DDPM forward process with a prediction type, or flow matching at a boundary).
import type { TimestepRange } from '../../../diffusion/index.js';
import { expertRange } from '../../../diffusion/index.js';
import { evalTimesteps } from '../../../workflow/eval-loss.js';
import type { FlowSettings } from '../../../workflow/flow-objective.js';
import { schedulerConfig, schedulerMaker } from '../../../workflow/scheduler-config.js';
import { must, WorkflowError } from '../../../workflow/sessions.js';
import type { LossObjective } from './loss.js';
import type { EvaluateWith } from './schema.js';
import type { EvaluationResults } from '../../files/evaluation.js';

export interface EvaluationPlan {
  readonly timesteps: number[];
  readonly base: TimestepRange;
  readonly refiner: TimestepRange;
  readonly objective: LossObjective;
  /** What results.json records about the objective. */
  readonly record: Pick<
    EvaluationResults,
    'prediction_type' | 'zero_snr' | 'strength' | 'objective' | 'boundary' | 'boundary_from' | 'shift'
  >;
}

/**
 * Flow matching: `count` timesteps 1000·(k + ½)/count (σ evenly inside (0, 1)); the base owns t ≥ 1000·b.
 * Diffusion: the model folder's scheduler config with the step's overrides, bands by strength.
 */
export function evaluationPlan(
  w: EvaluateWith,
  flow: FlowSettings | undefined,
  schedulerFromModel: Readonly<Record<string, unknown>>,
): EvaluationPlan {
  const count = w.eval_timesteps ?? 28;
  if (flow !== undefined) {
    if (w.prediction_type !== undefined || w.zero_snr !== undefined) {
      const key = w.prediction_type !== undefined ? 'prediction_type' : 'zero_snr';
      throw new WorkflowError(`${key}: not used with objective: flow_matching; remove ${key}`);
    }
    const T = 1000;
    const cut = flow.boundary.boundaryTimestep;
    return {
      timesteps: Array.from({ length: count }, (_, k) => (T * (k + 0.5)) / count),
      base: { min: cut, max: T },
      refiner: { min: 0, max: cut - 1e-9 },
      objective: { kind: 'flow_matching', numTrainTimesteps: T },
      record: {
        objective: 'flow_matching',
        prediction_type: 'flow_prediction',
        zero_snr: false,
        strength: flow.boundary.boundary,
        boundary: flow.boundary.boundary,
        boundary_from: flow.boundary.from,
        shift: flow.shift,
      },
    };
  }
  // DDPM's ᾱ is the training one: unclamped under zero-SNR, as the trainer noises.
  const scheduler = must(schedulerMaker('ddpm', schedulerConfig(schedulerFromModel, w)))();
  const n = scheduler.config.num_train_timesteps;
  const predictionType = scheduler.config.prediction_type;
  const alphasCumprod = scheduler.alphasCumprod;
  if (predictionType === 'flow_prediction' || alphasCumprod === undefined)
    throw new WorkflowError('the model folder describes a flow-matching model: set objective: flow_matching');
  const strength = w.strength ?? 0.35;
  return {
    timesteps: evalTimesteps(count, n),
    base: must(expertRange('base', strength, n)),
    refiner: must(expertRange('refiner', strength, n)),
    objective: { kind: 'diffusion', alphasCumprod, predictionType },
    record: {
      prediction_type: predictionType,
      zero_snr: scheduler.config.rescale_betas_zero_snr,
      strength,
    },
  };
}
