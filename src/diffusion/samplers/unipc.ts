/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
// UniPC multistep (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector Framework for Fast Sampling of
// Diffusion Models", Alg. 2/3 with B(h) = e^h − 1 for "bh2" and B(h) = h for "bh1"), as diffusers'
// UniPCMultistepScheduler steps it: data prediction, order ≤ 2, corrector UniC after every step but the first.
import { npLinspace } from '../numeric.js';
import type { CustomSchedule, Scheduler, SetTimestepsOptions, StepOutput } from '../scheduler.js';
import { assertStepCount, customScheduleRefused } from '../scheduler.js';
import { shiftSchedule } from './flow-sigmas.js';
import { MultistepSchedule } from './multistep.js';
import type { StepInput } from './stepping.js';

const f32 = Math.fround;

export class UniPcScheduler extends MultistepSchedule implements Scheduler {
  readonly kind = 'unipc' as const;
  protected readonly className = 'UniPCMultistepScheduler';
  protected readonly acceptsCustomTimesteps = false;
  /** The (corrected) sample the last predictor step started from: what the next corrector refines. */
  private lastSample: Float64Array | undefined;
  private thisOrder = 1;

  /**
   * With use_flow_sigmas (Wan's sampler): σ = linspace(1, 1/T, N + 1) without its last point, shifted by
   * flow_shift (or by `mu` under use_dynamic_shifting) and stretched to shift_terminal if set, the first σ
   * lowered by 10⁻⁶ when it is within 10⁻⁶ of 1 (so that log α stays finite), timesteps ⌊T·σ⌋, σ in
   * float32 plus the final σ. Otherwise the multistep spacing of the β-schedule samplers.
   */
  override setTimesteps(schedule: number | CustomSchedule, options: SetTimestepsOptions = {}): void {
    if (!this.config.use_flow_sigmas) {
      super.setTimesteps(schedule);
      return;
    }
    if (typeof schedule !== 'number') throw customScheduleRefused(this.className);
    const T = this.config.num_train_timesteps;
    assertStepCount(schedule, T);
    const sigmas = npLinspace(1, 1 / T, schedule + 1).subarray(0, schedule);
    shiftSchedule(sigmas, { shift: this.config.flow_shift, config: this.config }, options.mu);
    if (Math.abs(sigmas[0]! - 1) < 1e-6) sigmas[0] = sigmas[0]! - 1e-6;
    const all = new Float64Array(schedule + 1);
    sigmas.forEach((s, i) => (all[i] = f32(s)));
    all[schedule] = this.config.final_sigmas_type === 'sigma_min' ? f32(sigmas[schedule - 1]!) : 0;
    this.adopt(
      sigmas.map((s) => Math.trunc(s * T)),
      all,
    );
    this.resetHistory();
  }

  protected override resetHistory(): void {
    super.resetHistory();
    this.lastSample = undefined;
    this.thisOrder = 1;
  }

  /** The model output in the solver's variable: x̂₀ (predict_x0) or ε̂. */
  private convert(modelOutput: Float32Array, sample: Float32Array, index: number): Float64Array {
    const type = this.config.prediction_type;
    if (this.config.predict_x0) return this.dataPrediction(type, modelOutput, sample, index);
    const { alpha, sigmaT } = this.alphaSigma(this.sigmas[index]!);
    const out = new Float64Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      out[i] =
        type === 'epsilon' ? m : type === 'v_prediction' ? alpha * m + sigmaT * x : (x - alpha * m) / sigmaT;
    }
    return out;
  }

  /**
   * One step: the corrector UniC refines the current sample with this step's model output (skipped at the
   * first step of a run, after a reset, and for indices in disable_corrector), then the predictor UniP
   * advances it to the next σ. The order warms up from 1 and, with lower_order_final, drops back to 1 at the
   * last step.
   */
  protected update({ modelOutput, timestep, sample }: StepInput): StepOutput {
    if (this.numInferenceSteps === undefined) throw new Error('UniPC step called before setTimesteps');
    const index = this.initStepIndex(timestep);
    const useCorrector =
      index > 0 && !this.config.disable_corrector.includes(index - 1) && this.lastSample !== undefined;
    const converted = this.convert(modelOutput, sample, index);
    let x: Float64Array = Float64Array.from(sample);
    if (useCorrector) x = this.correct(converted, this.lastSample!, index, this.thisOrder);
    this.history.shift();
    this.history.push(converted);
    const order = this.config.solver_order;
    const wanted = this.config.lower_order_final ? Math.min(order, this.timesteps.length - index) : order;
    this.thisOrder = Math.min(wanted, this.lowerOrderNums + 1);
    this.lastSample = x;
    const prev = this.predict(x, index, this.thisOrder);
    if (this.lowerOrderNums < order) this.lowerOrderNums += 1;
    this.stepIndex = index + 1;
    return { prevSample: Float32Array.from(prev) };
  }

  /**
   * The coefficients both updates share, from σ_s0 (where the last model output was taken) to σ_t:
   * h = λ_t − λ_s0, hh = −h for data prediction (h for noise prediction), φ₁ = e^{hh} − 1, B(h), and the
   * linear combination x_t = (σ_t/σ_s0)·x − α_t·φ₁·m0 (data) or (α_t/α_s0)·x − σ_t·φ₁·m0 (noise).
   */
  private base(sigmaT: number, sigmaS0: number) {
    const t = this.alphaSigma(sigmaT);
    const s0 = this.alphaSigma(sigmaS0);
    const h = this.lambda(sigmaT) - this.lambda(sigmaS0);
    const hh = this.config.predict_x0 ? -h : h;
    const phi1 = Math.expm1(hh);
    const bh = this.config.solver_type === 'bh1' ? hh : Math.expm1(hh);
    const [xCoeff, mCoeff, dCoeff] = this.config.predict_x0
      ? [t.sigmaT / s0.sigmaT, -t.alpha * phi1, -t.alpha * bh]
      : [t.alpha / s0.alpha, -t.sigmaT * phi1, -t.sigmaT * bh];
    return { h, hh, phi1, bh, xCoeff, mCoeff, dCoeff };
  }

  /** UniP: x_t = base − α_t·B(h)·½·D1 with D1 = (m1 − m0)/r1, r1 = (λ_s1 − λ_s0)/h (order 2). */
  private predict(x: Float64Array, index: number, order: number): Float64Array {
    const sigmaS0 = this.sigmas[index]!;
    const c = this.base(this.sigmas[index + 1]!, sigmaS0);
    const m0 = this.history[this.history.length - 1]!;
    const out = new Float64Array(x.length);
    if (order === 1) {
      for (let i = 0; i < x.length; i++) out[i] = c.xCoeff * x[i]! + c.mCoeff * m0[i]!;
      return out;
    }
    const m1 = this.history[this.history.length - 2]!;
    const r1 = (this.lambda(this.sigmas[index - 1]!) - this.lambda(sigmaS0)) / c.h;
    for (let i = 0; i < x.length; i++) {
      const d1 = (m1[i]! - m0[i]!) / r1;
      out[i] = c.xCoeff * x[i]! + c.mCoeff * m0[i]! + c.dCoeff * 0.5 * d1;
    }
    return out;
  }

  /**
   * UniC: with the previous sample x_s0 and outputs m0 (at s0) and m_t (now),
   * x_t = base(x_s0) − α_t·B(h)·(ρ₁·D1 + ρ_t·(m_t − m0)), where ρ solves R·ρ = b (R's rows are r^(k−1),
   * b_k = k!·φ_{k+1}(hh)/B(h) by the recurrence φ_{k+1} = φ_k/hh − 1/(k+1)!); ρ = [½] at order 1.
   */
  private correct(
    modelT: Float64Array,
    lastSample: Float64Array,
    index: number,
    order: number,
  ): Float64Array {
    const sigmaS0 = this.sigmas[index - 1]!;
    const c = this.base(this.sigmas[index]!, sigmaS0);
    const m0 = this.history[this.history.length - 1]!;
    const out = new Float64Array(lastSample.length);
    if (order === 1) {
      for (let i = 0; i < out.length; i++) {
        out[i] = c.xCoeff * lastSample[i]! + c.mCoeff * m0[i]! + c.dCoeff * 0.5 * (modelT[i]! - m0[i]!);
      }
      return out;
    }
    const m1 = this.history[this.history.length - 2]!;
    const r1 = (this.lambda(this.sigmas[index - 2]!) - this.lambda(sigmaS0)) / c.h;
    const phi2 = c.phi1 / c.hh - 1;
    const b1 = phi2 / c.bh;
    const phi3 = phi2 / c.hh - 1 / 2;
    const b2 = (phi3 * 2) / c.bh;
    const rho1 = (b1 - b2) / (1 - r1);
    const rhoT = b1 - rho1;
    for (let i = 0; i < out.length; i++) {
      const d1 = (m1[i]! - m0[i]!) / r1;
      out[i] =
        c.xCoeff * lastSample[i]! + c.mCoeff * m0[i]! + c.dCoeff * (rho1 * d1 + rhoT * (modelT[i]! - m0[i]!));
    }
    return out;
  }
}
