// Every op the CLIP text encoders emit has a gradient rule: the whole encoder (token Gather, causal
// attention, quick_gelu or exact gelu MLPs, LayerNorms, the eos pooling and the projection) is
// differentiated with respect to all of its weights, and sampled elements of several weights are checked
// against central finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildClipTextModel } from '../../../src/models/clip/graph.js';
import { initClipTextParams } from '../../../src/models/clip/params.js';
import type { ClipTextConfig } from '../../../src/models/clip/config.js';
import { Random } from '../../../src/models/math/random.js';
import { encodeModel, openSession, ort, weightsAsInputs } from '../../../src/onnx/index.js';
import type { Graph } from '../../../src/onnx/index.js';
import { buildTrainingGraph } from '../../../src/onnx/autodiff/index.js';
import { centralDifference, rng } from './gradcheck.js';

const SEQ = 8;

function withWeightedSum(
  graph: Graph,
  outputs: readonly { name: string; shape: number[]; r: Float32Array }[],
): Graph {
  const nodes = [...graph.nodes];
  const initializers = [...graph.initializers];
  const terms: string[] = [];
  for (const o of outputs) {
    initializers.push({
      name: `r.${o.name}`,
      dtype: 'float32',
      dims: o.shape,
      data: { kind: 'inline', array: o.r },
      role: 'constant',
    });
    nodes.push({
      op: 'Mul',
      name: `weighted.${o.name}`,
      inputs: [o.name, `r.${o.name}`],
      outputs: [`weighted.${o.name}`],
      attributes: {},
    });
    nodes.push({
      op: 'ReduceSum',
      name: `sum.${o.name}`,
      inputs: [`weighted.${o.name}`],
      outputs: [`sum.${o.name}`],
      attributes: { keepdims: { type: 'int', value: 0 } },
    });
    terms.push(`sum.${o.name}`);
  }
  nodes.push({ op: 'Sum', name: 'loss', inputs: terms, outputs: ['loss'], attributes: {} });
  return {
    ...graph,
    nodes,
    initializers,
    outputs: [{ name: 'loss', dtype: 'float32', shape: [] }, ...graph.outputs],
  };
}

async function checkEncoder(config: ClipTextConfig, pooledName: string, pooledWidth: number): Promise<void> {
  const params = initClipTextParams(config, new Random(7));
  const lifted = weightsAsInputs(buildClipTextModel(config, params));
  const g = rng(3);
  const normal = (n: number) => Float32Array.from({ length: n }, () => g.normal());
  const targets = [
    { name: 'last_hidden_state', shape: [2, SEQ, config.hiddenSize], r: normal(2 * SEQ * config.hiddenSize) },
    { name: pooledName, shape: [2, pooledWidth], r: normal(2 * pooledWidth) },
  ];
  const forward = withWeightedSum(lifted.model.graph, targets);
  const names = lifted.weights.map((w) => w.name);
  const training = buildTrainingGraph(forward, { loss: 'loss', wrt: names });
  assert.ok(training.ok, training.ok ? '' : training.error.message);
  const s = await openSession(encodeModel({ ...lifted.model, graph: training.value }), { threads: 1 });
  assert.ok(s.ok, s.ok ? '' : s.error.message);
  const session = s.value;
  try {
    const ids = BigInt64Array.from([5, 17, 3, 49, 49, 49, 49, 49, 2, 30, 30, 11, 8, 49, 49, 49].map(BigInt));
    const data = new Map(params.map((p) => [p.name, Float32Array.from(p.data)]));
    const feeds = (): Record<string, ort.Tensor> => {
      const f: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [2, SEQ]) };
      for (const w of lifted.weights)
        f[w.name] = new ort.Tensor('float32', data.get(w.name) as Float32Array, w.dims as number[]);
      return f;
    };
    const out = await session.run(feeds());
    for (const n of names) assert.ok(out[`grad.${n}`], `no gradient for ${n}`);
    const lossOf = async (): Promise<number> => {
      const r = await session.run(
        feeds(),
        targets.map((t) => t.name),
      );
      let sum = 0;
      for (const t of targets) {
        const y = r[t.name]?.data as Float32Array;
        for (let i = 0; i < y.length; i++) sum += (y[i] as number) * (t.r[i] as number);
      }
      return sum;
    };
    const checked = names.filter((n) =>
      /token_embedding|position_embedding|layers\.0\.self_attn\.q_proj\.weight|layers\.1\.mlp\.fc1\.weight|final_layer_norm\.weight|text_projection/.test(
        n,
      ),
    );
    assert.ok(checked.length >= 5, checked.join(', '));
    for (const name of checked) {
      const x = data.get(name) as Float32Array;
      const grad = out[`grad.${name}`]?.data as Float32Array;
      let scale = 0;
      for (const v of grad) scale = Math.max(scale, Math.abs(v));
      // Token rows that the ids use (5, 17, 49), and spread elements of the other weights.
      const rows = name.includes('token_embedding')
        ? [5 * config.hiddenSize, 17 * config.hiddenSize + 3, 49 * config.hiddenSize + 1]
        : [0, Math.floor(x.length / 3), x.length - 1];
      for (const i of rows) {
        const fd = await centralDifference(x, i, 1e-2, lossOf);
        const allowed = 3e-3 * Math.max(scale, 1e-2) + 2e-4;
        assert.ok(
          Math.abs(fd - (grad[i] as number)) <= allowed,
          `${name}[${i}]: analytic ${grad[i]}, finite difference ${fd}`,
        );
      }
    }
  } finally {
    await session.release();
  }
}

const base: ClipTextConfig = {
  vocabSize: 50,
  hiddenSize: 16,
  intermediateSize: 32,
  layers: 2,
  heads: 2,
  maxPositions: SEQ,
  hiddenAct: 'quick_gelu',
  layerNormEps: 1e-5,
  eosTokenId: 49,
  bosTokenId: 48,
  padTokenId: 49,
};

test('CLIPTextModel (quick_gelu) gradients for all weights match finite differences', async () => {
  await checkEncoder(base, 'pooler_output', base.hiddenSize);
});

test('CLIPTextModelWithProjection (exact gelu) gradients for all weights match finite differences', async () => {
  await checkEncoder({ ...base, hiddenAct: 'gelu', projectionDim: 12 }, 'text_embeds', 12);
});
