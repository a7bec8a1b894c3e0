/**
 * AdamW as torch.optim.AdamW computes it (decoupled weight decay, bias-corrected moments, ε added after
 * the bias-corrected square root), over Float32Array weights updated in place, in float32 arithmetic as
 * torch's is for float32 parameters. The inner loop allocates nothing and also sums the squared
 * gradients (in double precision), so the global norm costs no second pass; scalars are computed once per
 * step in double precision and rounded to float32.
 */
import type { WasmArena } from './adamw-wasm.js';

export interface Parameter {
  readonly name: string;
  /** The weight values, updated in place by `step`. */
  readonly data: Float32Array;
}

export interface AdamWOptions {
  /** @default 1e-3 */
  readonly lr?: number;
  /** @default [0.9, 0.999] */
  readonly betas?: readonly [number, number];
  /** @default 1e-8 */
  readonly eps?: number;
  /** Decoupled weight decay (torch's default 1e-2). */
  readonly weightDecay?: number;
  /** Names of parameters exempt from weight decay (e.g. biases and norms), when given. */
  readonly noDecay?: (name: string) => boolean;
  /**
   * Where the moments live. When the weights and gradients are in the same arena, the update runs as
   * WebAssembly SIMD (the same arithmetic, four elements at a time). @default ordinary arrays
   */
  readonly arena?: WasmArena;
}

/** What a checkpoint keeps of an AdamW: step count and both moments per parameter (torch's state_dict). */
export interface AdamWState {
  readonly step: number;
  readonly m: ReadonlyMap<string, Float32Array>;
  readonly v: ReadonlyMap<string, Float32Array>;
}

export class AdamW {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private readonly decays: boolean[];
  private readonly arena: WasmArena | undefined;
  private t = 0;

  constructor(
    readonly params: readonly Parameter[],
    options: AdamWOptions = {},
  ) {
    this.lr = options.lr ?? 1e-3;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    const names = new Set<string>();
    for (const p of params) {
      if (names.has(p.name)) throw new Error(`parameter ${p.name} is listed twice`);
      names.add(p.name);
    }
    this.arena = options.arena;
    const alloc = (n: number): Float32Array => this.arena?.alloc(n) ?? new Float32Array(n);
    this.m = params.map((p) => alloc(p.data.length));
    this.v = params.map((p) => alloc(p.data.length));
    this.decays = params.map((p) => !(options.noDecay?.(p.name) ?? false));
  }

  /** Steps taken so far. */
  get step(): number {
    return this.t;
  }

  /**
   * One update from `grads` (same order and sizes as `params`). `lr` overrides the base rate for this
   * step (what a schedule computes). `gradScale` multiplies every gradient first (what clipping computes),
   * rounded to float32 as an in-place scaling would leave it. Returns Σg² over the gradients as given
   * (before scaling, in double precision), so a caller that does not clip gets the global norm from the
   * same pass over memory.
   */
  update(grads: readonly Float32Array[], lr = this.lr, gradScale = 1): number {
    if (grads.length !== this.params.length) {
      throw new Error(`expected ${this.params.length} gradients, got ${grads.length}`);
    }
    this.t += 1;
    // The step's scalars in double precision, then rounded once to float32, the precision of the loop.
    const f = Math.fround;
    const b1 = f(this.beta1);
    const b2 = f(this.beta2);
    const c1 = f(1 - this.beta1);
    const c2 = f(1 - this.beta2);
    const stepSize = f(lr / (1 - this.beta1 ** this.t));
    const invBc2Sqrt = f(1 / Math.sqrt(1 - this.beta2 ** this.t));
    const eps = f(this.eps);
    const scale = f(gradScale);
    const scaled = scale !== 1;
    const arena = this.arena;
    let squares = 0;
    for (let k = 0; k < this.params.length; k++) {
      const w = (this.params[k] as Parameter).data;
      const g = grads[k] as Float32Array;
      const m = this.m[k] as Float32Array;
      const v = this.v[k] as Float32Array;
      const n = w.length;
      if (g.length !== n) throw new Error(`gradient ${k} has ${g.length} values for ${n} weights`);
      const shrink = this.decays[k] ? f(1 - lr * this.weightDecay) : 1;
      let from = 0;
      if (arena?.holds(w) === true && arena.holds(g) && arena.holds(m)) {
        // Fours in WebAssembly, the last few elements (if any) below: the same arithmetic either way.
        from = n - (n % 4);
        const s = [b1, b2, c1, c2, stepSize, invBc2Sqrt, eps, shrink, scale];
        squares += arena.adamw(w, g, m, v, from, s);
      }
      // Every operation rounded to float32 (a float64 operation on float32 values, rounded once, gives
      // the correctly rounded float32 result for +, −, ×, ÷ and √).
      for (let i = from; i < n; i++) {
        const raw = g[i] as number;
        squares += raw * raw;
        const gi = scaled ? f(raw * scale) : raw;
        const mi = f(f(b1 * (m[i] as number)) + f(c1 * gi));
        const vi = f(f(b2 * (v[i] as number)) + f(f(c2 * gi) * gi));
        m[i] = mi;
        v[i] = vi;
        const denom = f(f(f(Math.sqrt(vi)) * invBc2Sqrt) + eps);
        w[i] = f((w[i] as number) * shrink) - f(f(stepSize * mi) / denom);
      }
    }
    return squares;
  }

  /** The state to checkpoint (live views: copy or write them out before the next update). */
  state(): AdamWState {
    return {
      step: this.t,
      m: new Map(this.params.map((p, k) => [p.name, this.m[k] as Float32Array])),
      v: new Map(this.params.map((p, k) => [p.name, this.v[k] as Float32Array])),
    };
  }

  /** Restores a state saved by `state()`; every parameter must be present with its size. */
  load(state: AdamWState): void {
    this.params.forEach((p, k) => {
      const m = state.m.get(p.name);
      const v = state.v.get(p.name);
      if (m === undefined || v === undefined) throw new Error(`the optimizer state lacks ${p.name}`);
      if (m.length !== p.data.length || v.length !== p.data.length) {
        throw new Error(`the optimizer state of ${p.name} has the wrong size`);
      }
      (this.m[k] as Float32Array).set(m);
      (this.v[k] as Float32Array).set(v);
    });
    this.t = state.step;
  }
}
