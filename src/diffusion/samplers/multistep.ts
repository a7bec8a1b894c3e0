/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// What UniPC and DPM-Solver++ share: the multistep spacing rule, a history of the last solver_order model
// outputs in the solver's variable, and the data prediction x̂₀.
import type { SchedulerConfig } from '../config.js';
import type { SamplerPrediction } from '../config.js';
import type { CustomSchedule } from '../scheduler.js';
import { alphaSigmaFromSigma, assertCustomTimesteps, customScheduleRefused } from '../scheduler.js';
import { SigmaSchedule } from './sigma-schedule.js';

/** Each solver adds its own update rule, and its own state to reset. */
export abstract class MultistepSchedule extends SigmaSchedule {
  readonly initNoiseSigma = 1;
  protected readonly fallbackToLastIndex = true;
  /** The solver variable (x̂₀, or ε̂ for UniPC without predict_x0) of the last `solver_order` steps, oldest first. */
  protected history: (Float64Array | undefined)[];
  /** How many steps have run since the last reset, up to solver_order: the order warms up with it. */
  protected lowerOrderNums = 0;

  /** diffusers' class name, for messages. */
  protected abstract readonly className: string;

  /** Whether set_timesteps takes custom timesteps (DPM-Solver++ does, UniPC does not). */
  protected abstract readonly acceptsCustomTimesteps: boolean;

  constructor(config: SchedulerConfig) {
    super(config);
    this.history = emptyHistory(config.solver_order);
  }

  /** The top of the timestep range (DPM-Solver++ can clip it by log-SNR). */
  protected lastTimestep(): number {
    return this.config.num_train_timesteps;
  }

  /** Clears the solver's history; called by setTimesteps. */
  protected resetHistory(): void {
    this.history = emptyHistory(this.config.solver_order);
    this.lowerOrderNums = 0;
  }

  /**
   * Integer timesteps by the multistep spacing rule (N+1 points, last dropped, for leading and linspace),
   * or custom ones where accepted, σ by linear interpolation in the training table, then the final σ
   * (0, or σ_0 for "sigma_min").
   */
  setTimesteps(schedule: number | CustomSchedule): void {
    if (typeof schedule === 'number') {
      this.adopt(this.spaced('multistep', schedule, this.lastTimestep()));
    } else {
      if (!this.acceptsCustomTimesteps || !('timesteps' in schedule))
        throw customScheduleRefused(this.className);
      assertCustomTimesteps(schedule.timesteps, this.config.num_train_timesteps);
      this.adopt(Float64Array.from(schedule.timesteps, Math.trunc));
    }
    this.resetHistory();
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  protected noiseScales(sigma: number): { readonly alpha: number; readonly sigmaT: number } {
    return this.alphaSigma(sigma);
  }

  /**
   * The signal and noise scales at σ: α_t = 1/√(σ²+1), σ_t = σ·α_t for the variance-preserving σ; with
   * flow sigmas (UniPC's use_flow_sigmas) α_t = 1 − σ and σ_t = σ.
   */
  protected alphaSigma(sigma: number): { readonly alpha: number; readonly sigmaT: number } {
    return this.config.use_flow_sigmas ? { alpha: 1 - sigma, sigmaT: sigma } : alphaSigmaFromSigma(sigma);
  }

  /** Log-SNR half λ = log α_t − log σ_t at σ (+∞ at σ = 0). */
  protected lambda(sigma: number): number {
    const { alpha, sigmaT } = this.alphaSigma(sigma);
    return Math.log(alpha) - Math.log(sigmaT);
  }

  /**
   * The data prediction x̂₀ at σ = sigmas[index]: ε → (x − σ_t·ε̂)/α_t; v → α_t·x − σ_t·v̂; sample → the
   * output; flow_prediction → x − σ·v̂.
   */
  protected dataPrediction(
    type: SamplerPrediction,
    modelOutput: Float32Array,
    sample: Float32Array,
    index: number,
  ): Float64Array {
    const sigma = this.sigmas[index]!;
    const { alpha, sigmaT } = this.alphaSigma(sigma);
    const out = new Float64Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      out[i] =
        type === 'epsilon'
          ? (x - sigmaT * m) / alpha
          : type === 'v_prediction'
            ? alpha * x - sigmaT * m
            : type === 'flow_prediction'
              ? x - sigma * m
              : m;
    }
    return out;
  }
}

function emptyHistory(order: number): (Float64Array | undefined)[] {
  return new Array<Float64Array | undefined>(order).fill(undefined);
}
