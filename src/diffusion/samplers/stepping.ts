/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// What every sampler does around its own formula: a step checks that the model output and the sample agree
// before the sampler's update, and add_noise noises each sample of a batch at its timestep's scales.
import type { StepOptions, StepOutput } from '../scheduler.js';
import { assertSameLength, indexForTimestep } from '../scheduler.js';

/** One step's arguments, as `Scheduler.step` takes them (the options defaulted to none). */
export interface StepInput {
  readonly modelOutput: Float32Array;
  readonly timestep: number;
  readonly sample: Float32Array;
  readonly options: StepOptions;
}

/** The base of every sampler: `step` checks its arrays, then hands them to the sampler's own update. */
export abstract class SteppedSampler {
  /** One reverse step from timestep t, given the model's output there. */
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    options: StepOptions = {},
  ): StepOutput {
    assertSameLength(modelOutput, sample);
    return this.update({ modelOutput, timestep, sample, options });
  }

  /** The sampler's update, with the model output and the sample of equal length. */
  protected abstract update(input: StepInput): StepOutput;
}

/** The place in the schedule of the samplers that track a step index (Euler, UniPC, DPM-Solver++, flow_euler). */
export interface ScheduleCursor {
  readonly timesteps: Float64Array;
  readonly stepIndex: number | undefined;
  readonly beginIndex: number | undefined;
}

/**
 * The schedule index add_noise uses for timestep t: t's own place, or, once a begin index is set (img2img,
 * a refiner stage), the step index or else the begin index, as diffusers' add_noise and scale_noise do.
 */
export function noiseIndex(cursor: ScheduleCursor, t: number, fallbackToLast: boolean): number {
  return cursor.beginIndex === undefined
    ? indexForTimestep(cursor.timesteps, t, fallbackToLast)
    : (cursor.stepIndex ?? cursor.beginIndex);
}

/**
 * add_noise over a batch: sample b (original.length / timesteps.length values) becomes a·x₀ + s·ε with
 * (a, s) = scalesAt(timesteps[b]). `round` applies to each product and to the sum (f32 for samplers that
 * compute in float32 as diffusers does; by default the value is rounded once, when stored).
 */
export function noiseEachSample(
  original: Float32Array,
  noise: Float32Array,
  timesteps: ArrayLike<number>,
  scalesAt: (t: number) => { readonly alpha: number; readonly sigmaT: number },
  round: (v: number) => number = (v) => v,
): Float32Array {
  assertSameLength(noise, original);
  const batch = timesteps.length;
  const per = original.length / batch;
  const out = new Float32Array(original.length);
  for (let b = 0; b < batch; b++) {
    const { alpha, sigmaT } = scalesAt(timesteps[b]!);
    for (let i = b * per; i < (b + 1) * per; i++)
      out[i] = round(round(alpha * original[i]!) + round(sigmaT * noise[i]!));
  }
  return out;
}
