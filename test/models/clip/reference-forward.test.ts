import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { saveModel } from '../../../src/onnx/index.js';
import { buildClipTextModel } from '../../../src/models/clip/graph.js';
import { initClipTextParams } from '../../../src/models/clip/params.js';
import type { ClipTextConfig } from '../../../src/models/clip/config.js';
import { Random } from '../../../src/models/math/random.js';

// A direct float64 transcription of transformers' CLIPTextTransformer forward pass (pre-LN blocks, causal
// self-attention with q scaled by head_dim^-0.5, quick_gelu MLP), to check the ONNX graph's arithmetic.
type Vec = Float64Array;
const cfg: ClipTextConfig = {
  vocabSize: 40,
  hiddenSize: 12,
  intermediateSize: 20,
  layers: 2,
  heads: 3,
  maxPositions: 77,
  hiddenAct: 'quick_gelu',
  layerNormEps: 1e-5,
  eosTokenId: 39,
  bosTokenId: 38,
  padTokenId: 1,
};
const params = initClipTextParams(cfg, new Random(11));
// Non-trivial norms and biases, so their use is checked too.
const rng = new Random(99);
for (const p of params) {
  if (/bias$|layer_norm.*weight$/.test(p.name))
    for (let i = 0; i < p.data.length; i++)
      p.data[i] = (p.name.endsWith('weight') ? 1 : 0) + rng.range(-0.3, 0.3);
}
const W = (n: string) => params.find((p) => p.name === n)!.data;

function linear(x: Vec[], w: Float32Array, b: Float32Array, outDim: number): Vec[] {
  return x.map((row) => {
    const o = new Float64Array(outDim);
    for (let i = 0; i < outDim; i++) {
      let s = b[i]!;
      for (let k = 0; k < row.length; k++) s += w[i * row.length + k]! * row[k]!;
      o[i] = s;
    }
    return o;
  });
}
function layerNorm(x: Vec[], w: Float32Array, b: Float32Array): Vec[] {
  return x.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + cfg.layerNormEps)) * w[i]! + b[i]!);
  });
}
function forward(ids: number[]): { hidden: Vec[][]; last: Vec[] } {
  const d = cfg.hiddenSize;
  const dh = d / cfg.heads;
  let x: Vec[] = ids.map((id, p) =>
    Float64Array.from(
      { length: d },
      (_, k) =>
        W('text_model.embeddings.token_embedding.weight')[id * d + k]! +
        W('text_model.embeddings.position_embedding.weight')[p * d + k]!,
    ),
  );
  const hidden = [x];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `text_model.encoder.layers.${l}`;
    const h = layerNorm(x, W(`${p}.layer_norm1.weight`), W(`${p}.layer_norm1.bias`));
    const q = linear(h, W(`${p}.self_attn.q_proj.weight`), W(`${p}.self_attn.q_proj.bias`), d).map((r) =>
      r.map((v) => v * dh ** -0.5),
    );
    const k = linear(h, W(`${p}.self_attn.k_proj.weight`), W(`${p}.self_attn.k_proj.bias`), d);
    const v = linear(h, W(`${p}.self_attn.v_proj.weight`), W(`${p}.self_attn.v_proj.bias`), d);
    const ctx = ids.map(() => new Float64Array(d));
    for (let head = 0; head < cfg.heads; head++) {
      for (let i = 0; i < ids.length; i++) {
        const scores = Array.from({ length: i + 1 }, (_, j) => {
          let s = 0;
          for (let c = 0; c < dh; c++) s += q[i]![head * dh + c]! * k[j]![head * dh + c]!;
          return s;
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= i; j++)
          for (let c = 0; c < dh; c++) ctx[i]![head * dh + c]! += (e[j]! / z) * v[j]![head * dh + c]!;
      }
    }
    const attn = linear(ctx, W(`${p}.self_attn.out_proj.weight`), W(`${p}.self_attn.out_proj.bias`), d);
    x = x.map((r, i) => r.map((val, c) => val + attn[i]![c]!));
    const up = linear(
      layerNorm(x, W(`${p}.layer_norm2.weight`), W(`${p}.layer_norm2.bias`)),
      W(`${p}.mlp.fc1.weight`),
      W(`${p}.mlp.fc1.bias`),
      cfg.intermediateSize,
    );
    const act = up.map((r) => r.map((val) => val / (1 + Math.exp(-1.702 * val))));
    const down = linear(act, W(`${p}.mlp.fc2.weight`), W(`${p}.mlp.fc2.bias`), d);
    x = x.map((r, i) => r.map((val, c) => val + down[i]![c]!));
    hidden.push(x);
  }
  return {
    hidden,
    last: layerNorm(x, W('text_model.final_layer_norm.weight'), W('text_model.final_layer_norm.bias')),
  };
}

test('the ONNX CLIP text model matches a direct transcription of the transformers forward pass', async () => {
  const ids = [38, 5, 17, 3, 39, ...new Array<number>(72).fill(39)];
  const want = forward(ids);
  const dir = await mkdtemp(join(tmpdir(), 'moe-clip-ref-'));
  saveModel(buildClipTextModel(cfg, params), join(dir, 'model.onnx'));
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, 77]),
  });
  await session.release();
  const d = cfg.hiddenSize;
  const compare = (name: string, rows: Vec[]) => {
    const got = out[name]!.data as Float32Array;
    let worst = 0;
    rows.forEach((r, i) => r.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - got[i * d + c]!)))));
    assert.ok(worst < 1e-4, `${name}: max |Δ| ${worst}`);
  };
  want.hidden.forEach((h, i) => compare(`hidden_states.${i}`, h));
  compare('last_hidden_state', want.last);
  const pooled = Array.from(out['pooler_output']!.data as Float32Array);
  assert.ok(pooled.every((v, c) => Math.abs(v - want.last[4]![c]!) < 1e-4));
});
