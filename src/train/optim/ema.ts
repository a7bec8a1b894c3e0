/**
 * An exponential moving average of the weights (shadow ← d·shadow + (1 − d)·weight), with diffusers'
 * EMAModel warm-up: update n (1-based) uses d = 0 for n = 1 and min(decay, n / (9 + n)) after, so early
 * shadows follow the weights closely.
 */
import type { Parameter } from './adamw.js';

export interface EmaOptions {
  /** @default 0.9999 */
  readonly decay?: number;
  /** Use diffusers' warm-up of the decay. @default true */
  readonly warmup?: boolean;
}

export class WeightEma {
  readonly shadow: Float32Array[];
  readonly decay: number;
  readonly warmup: boolean;
  private n = 0;

  constructor(
    readonly params: readonly Parameter[],
    options: EmaOptions = {},
  ) {
    this.decay = options.decay ?? 0.9999;
    this.warmup = options.warmup ?? true;
    this.shadow = params.map((p) => Float32Array.from(p.data));
  }

  get updates(): number {
    return this.n;
  }

  /** The decay the next update uses. */
  currentDecay(): number {
    if (!this.warmup) return this.decay;
    const step = this.n;
    return step <= 0 ? 0 : Math.min(this.decay, (1 + step) / (10 + step));
  }

  update(): void {
    const d = this.currentDecay();
    const c = 1 - d;
    this.params.forEach((p, k) => {
      const s = this.shadow[k] as Float32Array;
      const w = p.data;
      for (let i = 0; i < s.length; i++) s[i] = d * (s[i] as number) + c * (w[i] as number);
    });
    this.n += 1;
  }

  /** Restores shadows and the update count from a checkpoint. */
  load(shadow: ReadonlyMap<string, Float32Array>, updates: number): void {
    this.params.forEach((p, k) => {
      const s = shadow.get(p.name);
      if (s === undefined || s.length !== p.data.length) throw new Error(`the EMA state lacks ${p.name}`);
      (this.shadow[k] as Float32Array).set(s);
    });
    this.n = updates;
  }
}
