// Finite-difference checks of generated training graphs: the loss is Σ y·R for a fixed random R, the
// analytic gradients come from buildTrainingGraph run in onnxruntime, and each checked element is
// compared with a central difference of that loss (summed in float64 here, so only y's own float32
// rounding enters the difference).
import assert from 'node:assert/strict';
import { Builder, encodeModel, openSession, ort } from '../../../src/onnx/index.js';
import type { Graph, Model, Value } from '../../../src/onnx/index.js';
import { buildTrainingGraph } from '../../../src/onnx/autodiff/index.js';
import { seededRandom } from '../../../src/diffusion/random.js';

/** A seeded generator (mulberry32) with normal draws, so failures reproduce. */
export function rng(seed: number): { uniform: () => number; normal: () => number } {
  const uniform = seededRandom(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export interface InputSpec {
  readonly shape: readonly number[];
  /** Values; random normal by default. */
  readonly data?: Float32Array;
  /** Differentiate with respect to this input. @default true */
  readonly wrt?: boolean;
}

export interface GradCase {
  readonly inputs: Readonly<Record<string, InputSpec>>;
  readonly build: (b: Builder, v: Readonly<Record<string, Value>>) => Value;
  /** @default 1e-2 */
  readonly eps?: number;
  /** Allowed |fd − analytic| as a fraction of the tensor's max |gradient|. @default 2e-3 */
  readonly tol?: number;
  readonly seed?: number;
}

export interface Built {
  readonly model: Model;
  readonly training: Graph;
}

/** Builds forward (y, loss = Σ y·R) and training graphs for a case. */
export function buildCase(c: GradCase, r: Float32Array[] = []): Built & { readonly weights: Float32Array } {
  const b = new Builder({ name: 'case' });
  const values: Record<string, Value> = {};
  for (const [name, spec] of Object.entries(c.inputs)) values[name] = b.input(name, 'float32', spec.shape);
  const y = c.build(b, values);
  const shape = y.shape;
  if (!shape || shape.some((d) => typeof d !== 'number'))
    throw new Error('the case output needs a static shape');
  const n = (shape as number[]).reduce((a, d) => a * d, 1);
  const g = rng((c.seed ?? 1) + 7);
  const weights = r[0] ?? Float32Array.from({ length: n }, () => g.normal());
  const weighted = b.mul(
    y,
    b.constant(weights, { dims: shape as number[], name: 'loss_weights' }),
    'weighted',
  );
  const loss = b.op('ReduceSum', [weighted], { keepdims: { type: 'int', value: 0 } }, 'loss_sum');
  b.output(y, 'case_output');
  b.output(loss, 'loss');
  const model = b.build();
  const wrt = Object.entries(c.inputs)
    .filter(([, s]) => s.wrt ?? true)
    .map(([name]) => name);
  const training = buildTrainingGraph(model.graph, { loss: 'loss', wrt });
  if (!training.ok) throw new Error(training.error.message);
  return { model, training: training.value, weights };
}

/** Runs the check and fails with the worst element when a gradient is off. */
export async function gradCheck(c: GradCase): Promise<void> {
  const { model, training, weights } = buildCase(c);
  for (const n of training.nodes) assert.ok(!n.domain, `node ${n.name} uses domain ${n.domain}`);
  const s = await openSession(encodeModel({ ...model, graph: training }), { threads: 1 });
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  const session = s.value;
  try {
    const g = rng(c.seed ?? 1);
    const data = new Map<string, Float32Array>();
    for (const [name, spec] of Object.entries(c.inputs)) {
      const n = spec.shape.reduce((a, d) => a * d, 1);
      data.set(name, spec.data ?? Float32Array.from({ length: n }, () => g.normal()));
    }
    const feeds = (): Record<string, ort.Tensor> =>
      Object.fromEntries(
        Object.entries(c.inputs).map(([name, spec]) => [
          name,
          new ort.Tensor('float32', data.get(name) as Float32Array, spec.shape as number[]),
        ]),
      );
    const out = await session.run(feeds());
    const lossOf = async (): Promise<number> => {
      const y = (await session.run(feeds(), ['case_output']))['case_output']?.data as Float32Array;
      let sum = 0;
      for (let i = 0; i < y.length; i++) sum += (y[i] as number) * (weights[i] as number);
      return sum;
    };
    const eps = c.eps ?? 1e-2;
    const tol = c.tol ?? 2e-3;
    for (const [name, spec] of Object.entries(c.inputs)) {
      if (!(spec.wrt ?? true)) continue;
      const grad = out[`grad.${name}`]?.data as Float32Array | undefined;
      assert.ok(grad, `no gradient output for ${name}`);
      const x = data.get(name) as Float32Array;
      assert.equal(grad.length, x.length, `gradient of ${name} has the wrong size`);
      let scale = 0;
      for (const v of grad) scale = Math.max(scale, Math.abs(v));
      const count = Math.min(x.length, 24);
      for (let k = 0; k < count; k++) {
        const i = Math.floor((k * x.length) / count);
        const fd = await centralDifference(x, i, eps, lossOf);
        const analytic = grad[i] as number;
        const allowed = tol * Math.max(scale, 1e-2) + 1e-4;
        assert.ok(
          Math.abs(fd - analytic) <= allowed,
          `d loss / d ${name}[${i}]: analytic ${analytic}, finite difference ${fd} (allowed ${allowed})`,
        );
      }
    }
  } finally {
    await session.release();
  }
}

/** (L(x + ε·e_i) − L(x − ε·e_i)) / 2ε, nudging x[i] in place and putting it back. */
export async function centralDifference(
  x: Float32Array,
  i: number,
  eps: number,
  loss: () => Promise<number>,
): Promise<number> {
  const keep = x[i] as number;
  x[i] = keep + eps;
  const plus = await loss();
  x[i] = keep - eps;
  const minus = await loss();
  x[i] = keep;
  return (plus - minus) / (2 * eps);
}
