/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// The two experts of a flow-matching split (Wan 2.2's high-noise and low-noise models): where the boundary
// lies, which σ each trains on, and which inference steps each runs.
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { ExpertRole } from './experts.js';
import { flowSnr, sigmaAtSnr } from './flow-targets.js';

/**
 * Where the experts meet, given one way:
 * - `boundary`: Wan's boundary_ratio b (0.875 for text-to-video, 0.9 for image-to-video): the high-noise
 *   expert runs while t ≥ b·T;
 * - `strength`: SimpleTuner's refiner strength s, the low-noise expert's share of the range (b = s);
 * - `snr`: the SNR ((1 − σ)/σ)² at the boundary (the Wan 2.2 README's criterion), b = 1/(1 + √snr).
 */
export type BoundarySpec =
  { readonly boundary: number } | { readonly strength: number } | { readonly snr: number };

export interface FlowBoundary {
  /** b ∈ (0, 1): the σ (and t/T) where the experts meet. */
  readonly boundary: number;
  /** b·T: the high-noise expert runs the steps with t ≥ this. */
  readonly boundaryTimestep: number;
  /** The SNR at the boundary. */
  readonly snr: number;
  /** How the boundary was given, for messages ("snr 0.0204 → boundary 0.875"). */
  readonly from: string;
}

const fmt = (x: number) => String(Number(x.toPrecision(6)));

/** Resolves a boundary given as a ratio, a strength or an SNR threshold; errors name the key. */
export function flowBoundary(spec: BoundarySpec, numTrainTimesteps = 1000): Result<FlowBoundary, string> {
  let boundary: number;
  let from: string;
  if ('snr' in spec) {
    if (!(typeof spec.snr === 'number' && spec.snr > 0 && Number.isFinite(spec.snr)))
      return err(`snr: expected a number > 0, got ${String(spec.snr)}`);
    boundary = sigmaAtSnr(spec.snr);
    // So small or large an SNR that b rounds to 1 or 0: one expert would own every timestep.
    if (!(boundary > 0 && boundary < 1))
      return err(
        `snr: ${String(spec.snr)} puts the boundary at ${String(boundary)}, not strictly between 0 and 1; give an SNR nearer 1`,
      );
    from = `snr ${fmt(spec.snr)} → boundary ${fmt(boundary)}`;
  } else {
    const [key, value] = 'boundary' in spec ? ['boundary', spec.boundary] : ['strength', spec.strength];
    if (!(typeof value === 'number' && value > 0 && value < 1))
      return err(`${key}: expected a number strictly between 0 and 1, got ${String(value)}`);
    boundary = value;
    from = `${key} ${fmt(value)}`;
  }
  return ok({ boundary, boundaryTimestep: boundary * numTrainTimesteps, snr: flowSnr(boundary), from });
}

export interface FlowExpertRange {
  readonly role: ExpertRole;
  /** σ the expert trains on: [b, 1] for the high-noise expert (base), [0, b] for the low-noise one (refiner). */
  readonly sigmas: { readonly min: number; readonly max: number };
  /** The same in timesteps, t = T·σ (musubi-tuner's --min_timestep/--max_timestep). */
  readonly timesteps: { readonly min: number; readonly max: number };
}

/** The training range of one expert (base = high noise, refiner = low noise) at a boundary. */
export function flowExpertRange(
  role: ExpertRole,
  boundary: FlowBoundary,
  numTrainTimesteps = 1000,
): FlowExpertRange {
  const sigmas = role === 'base' ? { min: boundary.boundary, max: 1 } : { min: 0, max: boundary.boundary };
  return {
    role,
    sigmas,
    timesteps: { min: sigmas.min * numTrainTimesteps, max: sigmas.max * numTrainTimesteps },
  };
}

export interface FlowHandoff {
  readonly boundaryTimestep: number;
  /** The high-noise expert's steps: every t ≥ b·T (a prefix of the schedule). */
  readonly high: Float64Array;
  /** The low-noise expert's steps, the rest. */
  readonly low: Float64Array;
  /** Index of the first low-noise step (= high.length). */
  readonly switchIndex: number;
}

/**
 * Wan's hand-off (diffusers' WanPipeline): one scheduler runs the whole schedule and only the model changes,
 * the high-noise expert while t ≥ boundary·T. Unlike the SDXL refiner, the sampler (and a multistep
 * solver's history) carries on across the switch, so a composed run is a single run with two models.
 */
export function flowHandoff(timesteps: Float64Array, boundary: FlowBoundary): FlowHandoff {
  let switchIndex = 0;
  while (switchIndex < timesteps.length && timesteps[switchIndex]! >= boundary.boundaryTimestep)
    switchIndex++;
  return {
    boundaryTimestep: boundary.boundaryTimestep,
    high: timesteps.slice(0, switchIndex),
    low: timesteps.slice(switchIndex),
    switchIndex,
  };
}
