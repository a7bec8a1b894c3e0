/**
 * AdamW's inner loop as a small WebAssembly SIMD function (four lanes of f32), over weights, gradients
 * and moments that live in one WebAssembly memory (an arena). It does exactly the float32 arithmetic of
 * the TypeScript loop in adamw.ts, in the same order, so both give the same bits; it only does four
 * elements per instruction. The module is assembled here from its opcodes (no toolchain, nothing
 * downloaded); where WebAssembly SIMD is unavailable, or the arena would be too large for a 32-bit
 * memory, `createArena` gives undefined and the TypeScript loop runs.
 */

/** Arenas above this many bytes are not made (wasm32 memories end at 4 GiB; keep well below). */
const MAX_ARENA_BYTES = 2 ** 31;
const PAGE = 65536;

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

// Instructions used by the kernel.
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const I32_ADD = [0x6a];
const I32_SHL = [0x74];
const I32_GE_U = [0x4f];
const i32Const = (n: number): number[] => [0x41, ...sleb(n)];
const F64_ADD = [0xa0];
const SPLAT = simd(0x14);
const PROMOTE = simd(0x5f);
const ADD = simd(0xf0);
const MUL = simd(0xf2);
const lane = (l: number): number[] => simd(0x21, l);

// Parameters: w g m v (byte offsets), n (elements, even), then b1 b2 c1 c2 stepSize invBc2Sqrt eps shrink scale.
const W = 0;
const G = 1;
const M = 2;
const V = 3;
const N = 4;
const SCALARS = 9;
// Locals: the byte index, its end, the Σg² accumulator, the loaded gradient, the scaled gradient, the new
// moments, and one splat per scalar parameter.
const IDX = 14;
const END = 15;
const ACC = 16;
const RAW = 17;
const GI = 18;
const MI = 19;
const VI = 20;
const splat = (k: number): number => 21 + k;
const B1 = splat(0);
const B2 = splat(1);
const C1 = splat(2);
const C2 = splat(3);
const STEP = splat(4);
const IB = splat(5);
const EPS = splat(6);
const SHRINK = splat(7);
const SCALE = splat(8);

const F32_DEMOTE = [0xb6];
const F32_SPLAT = simd(0x13);
const V128_LOAD = simd(0x00, 4, 0);
const V128_STORE = simd(0x0b, 4, 0);
const F32_SQRT = simd(0xe3);
const F32_ADD = simd(0xe4);
const F32_SUB = simd(0xe5);
const F32_MUL = simd(0xe6);
const F32_DIV = simd(0xe7);
/** Moves lanes 2 and 3 of a float32x4 to lanes 0 and 1 (of a shuffle with itself). */
const HIGH_HALF = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);

/** Four float32 at `base + index`. */
const load4 = (base: number): number[] => [...get(base), ...get(IDX), ...I32_ADD, ...V128_LOAD];

/**
 * The kernel over four elements at a time, in float32 arithmetic (each operation rounded to float32, as
 * torch computes AdamW for float32 parameters), except Σg², which is summed in double precision.
 * `scaled`: the gradients are multiplied by the scale first (clipping's factor); without it the scale
 * parameter is ignored.
 */
function kernelBody(scaled: boolean): number[] {
  const code: number[] = [];
  for (let k = 0; k < SCALARS; k++) code.push(...get(5 + k), ...F32_DEMOTE, ...F32_SPLAT, ...set(splat(k)));
  code.push(...get(N), ...i32Const(2), ...I32_SHL, ...set(END));
  code.push(...i32Const(0), ...set(IDX));
  code.push(0x44, 0, 0, 0, 0, 0, 0, 0, 0, ...SPLAT, ...set(ACC)); // f64.const 0, splat
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop
  code.push(...get(IDX), ...get(END), ...I32_GE_U, 0x0d, 1); // br_if out
  // raw = g; acc += lo(raw)² + hi(raw)² in f64
  code.push(...load4(G), ...tee(RAW), ...PROMOTE, ...tee(GI), ...get(GI), ...MUL, ...get(ACC), ...ADD);
  code.push(...get(RAW), ...get(RAW), ...HIGH_HALF, ...PROMOTE, ...tee(GI), ...get(GI), ...MUL, ...ADD);
  code.push(...set(ACC));
  // gi = raw·scale, or raw
  if (scaled) code.push(...get(RAW), ...get(SCALE), ...F32_MUL, ...set(GI));
  else code.push(...get(RAW), ...set(GI));
  // mi = b1·m + c1·gi
  code.push(...get(B1), ...load4(M), ...F32_MUL, ...get(C1), ...get(GI), ...F32_MUL, ...F32_ADD, ...set(MI));
  // vi = b2·v + (c2·gi)·gi
  code.push(...get(B2), ...load4(V), ...F32_MUL, ...get(C2), ...get(GI), ...F32_MUL, ...get(GI), ...F32_MUL);
  code.push(...F32_ADD, ...set(VI));
  code.push(...get(M), ...get(IDX), ...I32_ADD, ...get(MI), ...V128_STORE);
  code.push(...get(V), ...get(IDX), ...I32_ADD, ...get(VI), ...V128_STORE);
  // w = w·shrink − (stepSize·mi) / (√vi·invBc2Sqrt + eps)
  code.push(...get(W), ...get(IDX), ...I32_ADD);
  code.push(...load4(W), ...get(SHRINK), ...F32_MUL);
  code.push(...get(STEP), ...get(MI), ...F32_MUL);
  code.push(...get(VI), ...F32_SQRT, ...get(IB), ...F32_MUL, ...get(EPS), ...F32_ADD);
  code.push(...F32_DIV, ...F32_SUB, ...V128_STORE);
  code.push(...get(IDX), ...i32Const(16), ...I32_ADD, ...set(IDX));
  code.push(0x0c, 0, 0x0b, 0x0b); // br loop, end loop, end block
  code.push(...get(ACC), ...lane(0), ...get(ACC), ...lane(1), ...F64_ADD);
  code.push(0x0b);
  const locals = vec([
    [2, I32],
    [2 + 3 + 2 + SCALARS, V128],
  ]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  const params = [...Array<number>(5).fill(I32), ...Array<number>(SCALARS).fill(F64)];
  const type = [0x60, ...vec(params.map((p) => [p])), ...vec([[F64]])];
  const memoryImport = [...name('e'), ...name('m'), 0x02, 0x00, 0x00]; // memory, limits: min 0
  const exported = [
    [...name('adamw'), 0x00, 0x00], // function 0
    [...name('adamw_unscaled'), 0x00, 0x01], // function 1
  ];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([type])),
    ...section(2, vec([memoryImport])),
    ...section(3, vec([[0], [0]])),
    ...section(7, vec(exported)),
    ...section(10, vec([kernelBody(true), kernelBody(false)])),
  ]);
}

/** The parts of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Memory: new (descriptor: { initial: number }) => WasmMemory;
  readonly Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

type Kernel = (w: number, g: number, m: number, v: number, n: number, ...scalars: number[]) => number;
interface Kernels {
  readonly scaled: Kernel;
  readonly unscaled: Kernel;
}

let compiled: object | null | undefined;

function compiledModule(): object | undefined {
  if (compiled === undefined) {
    try {
      if (wasm === undefined) throw new Error('no WebAssembly');
      compiled = new wasm.Module(moduleBytes());
    } catch {
      compiled = null;
    }
  }
  return compiled ?? undefined;
}

/** Float32 arrays carved out of one WebAssembly memory, and AdamW's kernel over them. */
export class WasmArena {
  private used = 0;

  private constructor(
    private readonly memory: WasmMemory,
    private readonly kernels: Kernels,
  ) {}

  /** An arena for `floats` values in arrays of the given lengths, or undefined where it cannot be made. */
  static create(lengths: readonly number[]): WasmArena | undefined {
    const bytes = lengths.reduce((a, n) => a + Math.ceil(n / 4) * 16, 0);
    if (bytes > MAX_ARENA_BYTES) return undefined;
    const module = compiledModule();
    if (module === undefined || wasm === undefined) return undefined;
    try {
      const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
      const instance = new wasm.Instance(module, { e: { m: memory } });
      const kernels = {
        scaled: instance.exports['adamw'] as Kernel,
        unscaled: instance.exports['adamw_unscaled'] as Kernel,
      };
      return new WasmArena(memory, kernels);
    } catch {
      return undefined;
    }
  }

  /** A zeroed Float32Array of `n` values inside the arena (16-byte aligned). */
  alloc(n: number): Float32Array {
    const array = new Float32Array(this.memory.buffer, this.used, n);
    this.used += Math.ceil(n / 4) * 16;
    return array;
  }

  /** Whether `a` is a view into this arena. */
  holds(a: Float32Array): boolean {
    return a.buffer === this.memory.buffer;
  }

  /**
   * AdamW over the first `n` (a multiple of 4) values of arrays in this arena; returns Σg² over them.
   * Scalars (float32 values) in the order of the kernel's parameters: b1, b2, c1, c2, stepSize,
   * invBc2Sqrt, eps, shrink, gradScale; a gradScale of 1 skips the scaling (the same bits).
   */
  adamw(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, s: number[]): number {
    const kernel = s[8] === 1 ? this.kernels.unscaled : this.kernels.scaled;
    return kernel(w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, n, ...s);
  }
}
