/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// Euler's method on the flow-matching ODE dx/dσ = v (rectified flow: x_σ = (1 − σ)·x₀ + σ·ε, v = ε − x₀),
// as diffusers' FlowMatchEulerDiscreteScheduler steps it (SD3, Flux, Wan): σ from 1 down to 0, t = 1000·σ.
import type { SchedulerConfig } from '../config.js';
import type { CustomSchedule, Scheduler, SetTimestepsOptions, StepOutput } from '../scheduler.js';
import { assertSameLength, assertStepCount, indexForTimestep } from '../scheduler.js';
import { npLinspace } from '../numeric.js';
import type { Rounding } from './flow-sigmas.js';
import { float64, shiftSchedule, shiftSigma } from './flow-sigmas.js';
import type { StepInput } from './stepping.js';
import { SteppedSampler, noiseEachSample, noiseIndex } from './stepping.js';

const f32 = Math.fround;

export class FlowMatchEulerScheduler extends SteppedSampler implements Scheduler {
  readonly kind = 'flow_euler' as const;
  readonly order = 1;
  readonly betas = undefined;
  readonly alphas = undefined;
  readonly alphasCumprod = undefined;
  readonly initNoiseSigma = 1;
  /** σ_k = k/T for k = T … 1 in float32, shifted by the static shift unless use_dynamic_shifting. */
  readonly trainSigmas: Float64Array;
  timesteps: Float64Array;
  sigmas: Float64Array;
  numInferenceSteps: number | undefined;
  stepIndex: number | undefined;
  beginIndex: number | undefined;

  constructor(readonly config: SchedulerConfig) {
    super();
    const T = config.num_train_timesteps;
    this.trainSigmas = Float64Array.from({ length: T }, (_, i) => {
      const sigma = f32((T - i) / T);
      return config.use_dynamic_shifting ? sigma : shiftSigma(config.shift, sigma, f32);
    });
    this.sigmas = this.trainSigmas;
    this.timesteps = this.trainSigmas.map((s) => f32(s * T));
  }

  /** The largest and smallest training σ: the ends of every default schedule. */
  get sigmaMax(): number {
    return this.trainSigmas[0]!;
  }

  get sigmaMin(): number {
    return this.trainSigmas[this.trainSigmas.length - 1]!;
  }

  /**
   * N timesteps evenly spaced from T·σ_max to T·σ_min (float64), σ = t/T, then shifted (statically, or by
   * `mu` under use_dynamic_shifting) and stretched to shift_terminal if set; σ is stored in float32, the
   * timesteps are float32 T·σ, and a final σ = 0 is appended. Custom `sigmas` (N values in (0, 1]) or
   * `timesteps` (N values in (0, T]) replace the even spacing and are shifted the same way, in float32 as
   * diffusers computes them. (With the static shift σ_min is itself shifted, so diffusers shifts the low end
   * twice; moe does the same.)
   */
  setTimesteps(schedule: number | CustomSchedule, options: SetTimestepsOptions = {}): void {
    const T = this.config.num_train_timesteps;
    let sigmas: Float64Array;
    let r: Rounding = float64;
    if (typeof schedule === 'number') {
      assertStepCount(schedule, T);
      sigmas = npLinspace(this.sigmaMax * T, this.sigmaMin * T, schedule).map((t) => t / T);
    } else {
      r = f32;
      const given = 'sigmas' in schedule ? schedule.sigmas : schedule.timesteps;
      const top = 'sigmas' in schedule ? 1 : T;
      if (given.length === 0 || !given.every((x) => Number.isFinite(x) && x > 0 && x <= top)) {
        throw new RangeError(
          `expected at least one custom ${'sigmas' in schedule ? 'sigma in (0, 1]' : `timestep in (0, ${T}]`}`,
        );
      }
      sigmas = Float64Array.from(given, (x) => ('sigmas' in schedule ? f32(x) : f32(f32(x) / T)));
    }
    shiftSchedule(sigmas, { shift: this.config.shift, config: this.config }, options.mu, r);
    const n = sigmas.length;
    this.sigmas = new Float64Array(n + 1);
    sigmas.forEach((s, i) => (this.sigmas[i] = f32(s)));
    this.timesteps = this.sigmas.subarray(0, n).map((s) => f32(s * T));
    this.numInferenceSteps = n;
    this.stepIndex = undefined;
    this.beginIndex = undefined;
  }

  setBeginIndex(beginIndex: number): void {
    this.beginIndex = beginIndex;
  }

  /** Flow-matching models take x_t as it is. */
  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  /**
   * x_next = x + (σ_next − σ)·v̂ in float32, as diffusers; x̂₀ = x − σ·v̂. With stochastic_sampling,
   * x_next = (1 − σ_next)·x̂₀ + σ_next·noise instead (the caller passes `noise`).
   */
  protected update({ modelOutput, timestep, sample, options }: StepInput): StepOutput {
    if (this.numInferenceSteps === undefined) throw new Error('flow_euler step called before setTimesteps');
    this.stepIndex ??= this.beginIndex ?? indexForTimestep(this.timesteps, timestep, false);
    const sigma = this.sigmas[this.stepIndex];
    const sigmaNext = this.sigmas[this.stepIndex + 1];
    if (sigma === undefined || sigmaNext === undefined)
      throw new RangeError('flow_euler step called past the last timestep');
    const noise = options.noise;
    if (this.config.stochastic_sampling) {
      if (noise === undefined) throw new RangeError('stochastic_sampling needs the noise of each step');
      assertSameLength(noise, sample);
    }
    const dt = f32(sigmaNext - sigma);
    const pred = new Float32Array(sample.length);
    const prev = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x0 = f32(sample[i]! - f32(sigma * modelOutput[i]!));
      pred[i] = x0;
      prev[i] =
        noise === undefined || !this.config.stochastic_sampling
          ? f32(sample[i]! + f32(dt * modelOutput[i]!))
          : f32(f32(f32(1 - sigmaNext) * x0) + f32(sigmaNext * noise[i]!));
    }
    this.stepIndex += 1;
    return { prevSample: prev, predOriginalSample: pred };
  }

  /**
   * diffusers' scale_noise: σ·ε + (1 − σ)·x₀ with σ at each timestep's place in the schedule (the begin
   * index once set, as for img2img).
   */
  addNoise(original: Float32Array, noise: Float32Array, timesteps: ArrayLike<number>): Float32Array {
    return noiseEachSample(
      original,
      noise,
      timesteps,
      (t) => {
        const sigma = this.sigmas[noiseIndex(this, t, false)]!;
        return { alpha: f32(1 - sigma), sigmaT: sigma };
      },
      f32,
    );
  }

  /** The flow-matching velocity ε − x₀: the training target, the same at every timestep. */
  getVelocity(sample: Float32Array, noise: Float32Array): Float32Array {
    assertSameLength(noise, sample);
    return noise.map((e, i) => e - sample[i]!);
  }
}
