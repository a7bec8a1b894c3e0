// `objective: flow_matching` and its settings, shared by train.expert, evaluate and compose.inference: the
// JSON Schema properties, the typed form, and their resolution into a boundary, a shift and a density.
import type { JsonSchema } from '../contract/step.js';
import type { FlowBoundary, TimestepDensity } from '../diffusion/index.js';
import { checkDensity, flowBoundary } from '../diffusion/index.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export type Objective = 'diffusion' | 'flow_matching';

export interface FlowWith {
  readonly objective?: Objective;
  readonly boundary?: number;
  readonly boundary_snr?: number;
  readonly shift?: number;
  readonly timestep_density?: 'uniform' | 'logit_normal' | 'mode';
  readonly logit_mean?: number;
  readonly logit_std?: number;
  readonly mode_scale?: number;
  readonly strength?: number;
}

/** The flow keys every step that takes them shares. `training` adds the density keys (train.expert only). */
export function flowSchemaProperties(training: boolean): Record<string, JsonSchema> {
  return {
    objective: {
      enum: ['diffusion', 'flow_matching'],
      default: 'diffusion',
      description:
        'diffusion: DDPM-family noising and prediction_type. flow_matching: x = (1 − σ)·x₀ + σ·ε, the model predicts ε − x₀ at t = 1000·σ (SD3, Flux, Wan); the experts meet at `boundary`.',
    },
    boundary: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      description:
        "flow_matching: Wan's boundary_ratio b; the high-noise expert (base) owns t ≥ b·1000, the low-noise one (refiner) the rest. Default: strength, else 0.875.",
    },
    boundary_snr: {
      type: 'number',
      exclusiveMinimum: 0,
      description:
        'flow_matching: the boundary given as the SNR ((1 − σ)/σ)² there; moe computes b = 1/(1 + √snr) and logs it.',
    },
    shift: {
      type: 'number',
      exclusiveMinimum: 0,
      description:
        "flow_matching: the shift σ → s·σ/(1 + (s − 1)·σ) (discrete_flow_shift, flow_schedule_shift, Wan's sample_shift). Default 1.",
    },
    ...(training
      ? {
          timestep_density: {
            enum: ['uniform', 'logit_normal', 'mode'],
            default: 'logit_normal',
            description:
              "flow_matching: the density of the training σ before the shift; kept inside the expert's range (inverse CDF).",
          },
          logit_mean: { type: 'number', default: 0, description: 'logit_normal: mean of logit σ.' },
          logit_std: {
            type: 'number',
            exclusiveMinimum: 0,
            default: 1,
            description: 'logit_normal: standard deviation of logit σ.',
          },
          mode_scale: { type: 'number', default: 1.29, description: "mode: SD3's mode_scale." },
        }
      : {}),
  };
}

export interface FlowSettings {
  readonly boundary: FlowBoundary;
  readonly shift: number;
  readonly density: TimestepDensity;
}

/** The keys only objective flow_matching reads. */
export const FLOW_ONLY = [
  'boundary',
  'boundary_snr',
  'shift',
  'timestep_density',
  'logit_mean',
  'logit_std',
  'mode_scale',
] as const;

/** Which density reads each density key. */
const DENSITY_KEY_OWNER = {
  logit_mean: 'logit_normal',
  logit_std: 'logit_normal',
  mode_scale: 'mode',
} as const;

/** The first density key that is set but not read by `kind` (the step refuses it rather than ignore it). */
export function strayDensityKey(
  kind: string,
  isSet: (key: keyof typeof DENSITY_KEY_OWNER) => boolean,
): { readonly key: string; readonly owner: string } | undefined {
  for (const [key, owner] of Object.entries(DENSITY_KEY_OWNER) as [
    keyof typeof DENSITY_KEY_OWNER,
    string,
  ][]) {
    if (owner !== kind && isSet(key)) return { key, owner };
  }
  return undefined;
}

/**
 * The flow settings of a `with` block: undefined for objective diffusion (then no flow key may be set), else
 * the boundary (from `boundary`, `boundary_snr` or `strength`, at most one of them; default 0.875), the shift
 * and the training density. Errors name the key and say what to do.
 */
export function resolveFlow(w: FlowWith): Result<FlowSettings | undefined, string> {
  if ((w.objective ?? 'diffusion') === 'diffusion') {
    const stray = FLOW_ONLY.find((k) => w[k] !== undefined);
    return stray === undefined
      ? ok(undefined)
      : err(`${stray}: only read with objective: flow_matching; set the objective or remove ${stray}`);
  }
  const given = (['boundary', 'boundary_snr', 'strength'] as const).filter((k) => w[k] !== undefined);
  if (given.length > 1) {
    return err(`${given.join(' and ')}: give the boundary one way (boundary, boundary_snr or strength)`);
  }
  const boundary = flowBoundary(
    w.boundary_snr !== undefined
      ? { snr: w.boundary_snr }
      : w.strength !== undefined
        ? { strength: w.strength }
        : { boundary: w.boundary ?? 0.875 },
  );
  if (!boundary.ok) return err(boundary.error.replace(/^snr:/, 'boundary_snr:'));
  const kind = w.timestep_density ?? 'logit_normal';
  const stray = strayDensityKey(kind, (k) => w[k] !== undefined);
  if (stray !== undefined) {
    return err(
      `${stray.key}: only read with timestep_density: ${stray.owner}; this node has timestep_density ${kind}; set timestep_density: ${stray.owner} or remove ${stray.key}`,
    );
  }
  const density = checkDensity(
    kind === 'uniform'
      ? { kind }
      : kind === 'mode'
        ? { kind, scale: w.mode_scale ?? 1.29 }
        : { kind, mean: w.logit_mean ?? 0, std: w.logit_std ?? 1 },
  );
  if (!density.ok) return err(density.error);
  return ok({ boundary: boundary.value, shift: w.shift ?? 1, density: density.value });
}
