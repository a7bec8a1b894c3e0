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

const config: ClipTextConfig = {
  vocabSize: 50,
  hiddenSize: 16,
  intermediateSize: 32,
  layers: 2,
  heads: 2,
  maxPositions: 77,
  hiddenAct: 'gelu',
  layerNormEps: 1e-5,
  eosTokenId: 49,
  bosTokenId: 48,
  padTokenId: 1,
  projectionDim: 8,
};
const params = initClipTextParams(config, new Random(5));
const weight = (name: string) => params.find((p) => p.name === name)!.data;

async function run(ids: number[][]): Promise<Record<string, ort.Tensor>> {
  const dir = await mkdtemp(join(tmpdir(), 'moe-clip-'));
  saveModel(buildClipTextModel(config, params), join(dir, 'model.onnx'));
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat(), BigInt), [ids.length, 77]),
  });
  await session.release();
  return out;
}

const sequence = (tokens: number[], pad: number) => [
  48,
  ...tokens,
  49,
  ...new Array<number>(75 - tokens.length).fill(pad),
];
const row = (t: ort.Tensor, b: number, pos: number, d: number) =>
  Array.from((t.data as Float32Array).subarray((b * 77 + pos) * d, (b * 77 + pos + 1) * d));
const close = (a: number[], b: number[], tol = 1e-5) => a.every((v, i) => Math.abs(v - b[i]!) <= tol);

test('the CLIP text model: embeddings, causal attention, eos pooling and the projection', async () => {
  const a = sequence([3, 4, 5], 49);
  const b = sequence([3, 4, 6], 0); // differs from position 3 on, padded with "!"
  const out = await run([a, b]);
  const d = config.hiddenSize;
  assert.deepEqual(Object.keys(out).sort(), [
    'hidden_states.0',
    'hidden_states.1',
    'hidden_states.2',
    'last_hidden_state',
    'text_embeds',
  ]);

  // hidden_states.0 = token embedding + position embedding.
  const tok = weight('text_model.embeddings.token_embedding.weight');
  const pos = weight('text_model.embeddings.position_embedding.weight');
  const expected0 = Array.from({ length: d }, (_, k) => tok[4 * d + k]! + pos[2 * d + k]!);
  assert.ok(close(row(out['hidden_states.0']!, 0, 2, d), expected0));

  // Causal: positions before the first difference are identical in every layer.
  for (const name of ['hidden_states.2', 'last_hidden_state']) {
    for (let p = 0; p < 3; p++)
      assert.ok(close(row(out[name]!, 0, p, d), row(out[name]!, 1, p, d)), `${name} position ${p}`);
    assert.ok(!close(row(out[name]!, 0, 3, d), row(out[name]!, 1, 3, d), 1e-3), `${name} position 3 differs`);
  }

  // Pooling takes the first eos (position 4), whatever the padding; text_embeds = pooled · Wᵀ.
  const proj = weight('text_projection.weight');
  for (const bIdx of [0, 1]) {
    const pooled = row(out['last_hidden_state']!, bIdx, 4, d);
    const embeds = Array.from((out['text_embeds']!.data as Float32Array).subarray(bIdx * 8, bIdx * 8 + 8));
    const want = Array.from({ length: 8 }, (_, j) => pooled.reduce((s, v, k) => s + v * proj[j * d + k]!, 0));
    assert.ok(close(embeds, want, 1e-4), `batch ${bIdx}`);
  }

  // Final layer norm: last_hidden_state rows have zero mean and unit variance (weight 1, bias 0 at init).
  const last = row(out['last_hidden_state']!, 0, 10, d);
  const mean = last.reduce((s, v) => s + v, 0) / d;
  const variance = last.reduce((s, v) => s + (v - mean) ** 2, 0) / d;
  assert.ok(Math.abs(mean) < 1e-5 && Math.abs(variance - 1) < 1e-3);
});
