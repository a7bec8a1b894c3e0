/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion Probabilistic
// Models", Alg. 2), as diffusers' DPMSolverMultistepScheduler steps it with algorithm_type "dpmsolver++".
import type { Scheduler, StepOutput } from '../scheduler.js';
import { alphaSigmaFromSigma, lambdaFromSigma } from '../scheduler.js';
import { MultistepSchedule } from './multistep.js';
import type { StepInput } from './stepping.js';

const f32 = Math.fround;

export class DpmppScheduler extends MultistepSchedule implements Scheduler {
  readonly kind = 'dpmpp_2m' as const;
  protected readonly className = 'DPMSolverMultistepScheduler';
  protected readonly acceptsCustomTimesteps = true;

  /**
   * T minus the number of training timesteps whose log-SNR λ_t = log √ᾱ_t − log √(1−ᾱ_t) lies below
   * lambda_min_clipped (none by default, so T).
   */
  protected override lastTimestep(): number {
    const floor = this.config.lambda_min_clipped;
    let clipped = 0;
    for (const a of this.alphasCumprod) {
      const lambda = f32(f32(Math.log(f32(Math.sqrt(a)))) - f32(Math.log(f32(Math.sqrt(f32(1 - a))))));
      if (lambda < floor) clipped += 1;
    }
    return this.config.num_train_timesteps - clipped;
  }

  /**
   * First order (DDIM in λ): x_t = (σ_t/σ_s)·x − α_t·(e^{−h} − 1)·D0.
   * Second order, multistep: r = h_0/h, D1 = (m0 − m1)/r, and
   * midpoint: x_t = (σ_t/σ_s0)·x − α_t(e^{−h} − 1)·D0 − ½·α_t(e^{−h} − 1)·D1;
   * heun: … + α_t((e^{−h} − 1)/h + 1)·D1.
   * The last step is first order whenever the final σ is 0 (the default), with euler_at_final, or with
   * lower_order_final on fewer than 15 steps.
   */
  protected update({ modelOutput, timestep, sample }: StepInput): StepOutput {
    if (this.numInferenceSteps === undefined) throw new Error('DPM-Solver++ step called before setTimesteps');
    const index = this.initStepIndex(timestep);
    const n = this.timesteps.length;
    const lowerOrderFinal =
      index === n - 1 &&
      (this.config.euler_at_final ||
        (this.config.lower_order_final && n < 15) ||
        this.config.final_sigmas_type === 'zero');
    const x0 = this.dataPrediction(this.config.prediction_type, modelOutput, sample, index);
    this.history.shift();
    this.history.push(x0);
    const firstOrder = this.config.solver_order === 1 || this.lowerOrderNums < 1 || lowerOrderFinal;
    const prev = firstOrder ? this.firstOrder(sample, index) : this.secondOrder(sample, index);
    if (this.lowerOrderNums < this.config.solver_order) this.lowerOrderNums += 1;
    this.stepIndex = index + 1;
    return { prevSample: prev };
  }

  private firstOrder(sample: Float32Array, index: number): Float32Array {
    const sigmaNext = this.sigmas[index + 1]!;
    const sigmaNow = this.sigmas[index]!;
    const t = alphaSigmaFromSigma(sigmaNext);
    const s = alphaSigmaFromSigma(sigmaNow);
    const h = lambdaFromSigma(sigmaNext) - lambdaFromSigma(sigmaNow);
    const xCoeff = t.sigmaT / s.sigmaT;
    const dCoeff = -t.alpha * Math.expm1(-h);
    const m0 = this.history[this.history.length - 1]!;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = xCoeff * sample[i]! + dCoeff * m0[i]!;
    return out;
  }

  private secondOrder(sample: Float32Array, index: number): Float32Array {
    const sigmaT = this.sigmas[index + 1]!;
    const sigmaS0 = this.sigmas[index]!;
    const sigmaS1 = this.sigmas[index - 1]!;
    const t = alphaSigmaFromSigma(sigmaT);
    const s0 = alphaSigmaFromSigma(sigmaS0);
    const lambdaS0 = lambdaFromSigma(sigmaS0);
    const h = lambdaFromSigma(sigmaT) - lambdaS0;
    const r0 = (lambdaS0 - lambdaFromSigma(sigmaS1)) / h;
    const em1 = Math.expm1(-h);
    const xCoeff = t.sigmaT / s0.sigmaT;
    const d0Coeff = -t.alpha * em1;
    const d1Coeff = this.config.solver_type === 'heun' ? t.alpha * (em1 / h + 1) : -0.5 * t.alpha * em1;
    const m0 = this.history[this.history.length - 1]!;
    const m1 = this.history[this.history.length - 2]!;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      const d1 = (m0[i]! - m1[i]!) / r0;
      out[i] = xCoeff * sample[i]! + d0Coeff * m0[i]! + d1Coeff * d1;
    }
    return out;
  }
}
