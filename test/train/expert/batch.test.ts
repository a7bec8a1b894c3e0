import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  makeNoiseSchedule,
  sampleExpertTimesteps,
  timestepBiasWeights,
} from '../../../src/diffusion/index.js';
import { BatchAssembler } from '../../../src/train/expert/batch.js';
import { STREAM, streamRandom } from '../../../src/train/expert/random.js';
import { openEmbeddingCache } from '../../../src/train/expert/index.js';
import type { EmbeddingCache } from '../../../src/train/expert/index.js';
import { tempRoot, writeCache } from '../../steps/train/helpers.js';

const schedule = makeNoiseSchedule({
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  rescaleBetasZeroSnr: false,
});

test('a batch holds the cached tensors, in-range timesteps, noisy latents, targets and loss weights', async (t) => {
  const c = await fourItemCache(t);
  assert.equal(c.groups[0]?.items.length, 4, 'eval items are left out');
  const settings = {
    batchSize: 1,
    range: { min: 350, max: 999 },
    alphasCumprod: schedule.alphasCumprod,
    predictionType: 'epsilon' as const,
    captionDropout: 0,
    seed: 4,
  };
  const assembler = new BatchAssembler(c, c.groups[0]!, settings);
  for (let m = 0; m < 20; m++) {
    const { timesteps, feeds } = await assembler.assemble([m % 4], m);
    const t = timesteps[0]!;
    assert.ok(t >= 350 && t <= 999, `micro-batch ${m}: t = ${t}`);
    assert.deepEqual(feeds['sample']?.dims, [1, 4, 8, 8]);
    assert.deepEqual(feeds['loss_weight']?.data, Float32Array.of(1 / 256));
    // x_t = √ᾱ x₀ + √(1−ᾱ) ε, and the epsilon target is ε.
    const x0 = await readLatents(c, m % 4);
    const a = schedule.alphasCumprod[t]!;
    const eps = feeds['target']?.data as Float32Array;
    const xt = feeds['sample']?.data as Float32Array;
    for (let i = 0; i < 5; i++) {
      assert.ok(Math.abs(xt[i]! - (Math.sqrt(a) * x0[i]! + Math.sqrt(1 - a) * eps[i]!)) < 1e-5);
    }
  }
  const again = await new BatchAssembler(c, c.groups[0]!, settings).assemble([2], 7);
  const first = await assembler.assemble([2], 7);
  assert.deepEqual(again.timesteps, first.timesteps, 'draws are a function of the micro-batch index');
  assert.deepEqual(again.feeds['target']?.data, first.feeds['target']?.data);

  const dropped = await new BatchAssembler(c, c.groups[0]!, { ...settings, captionDropout: 1 }).assemble(
    [1],
    0,
  );
  assert.ok((dropped.feeds['encoder_hidden_states']?.data as Float32Array).every((v) => v === 0));
  assert.ok((dropped.feeds['text_embeds']?.data as Float32Array).every((v) => v === 0));
  assert.ok((first.feeds['encoder_hidden_states']?.data as Float32Array).some((v) => v !== 0));
  await c.close();
});

test("with snr_gamma a v-prediction batch weighs each sample by min(SNR, γ)/(SNR + 1), as tiny.yaml's refiner trains", async (t) => {
  const c = await fourItemCache(t);
  const zeroSnr = makeNoiseSchedule({
    numTrainTimesteps: 1000,
    betaStart: 0.00085,
    betaEnd: 0.012,
    betaSchedule: 'scaled_linear',
    rescaleBetasZeroSnr: true,
  });
  const gamma = 5;
  const assembler = new BatchAssembler(c, c.groups[0]!, {
    batchSize: 4,
    range: { min: 0, max: 349 },
    alphasCumprod: zeroSnr.alphasCumprod,
    predictionType: 'v_prediction',
    snrGamma: gamma,
    captionDropout: 0,
    seed: 1,
  });
  const seen = new Set<string>();
  for (let m = 0; m < 8; m++) {
    const { timesteps, feeds } = await assembler.assemble([0, 1, 2, 3], m);
    const weights = feeds['loss_weight']?.data as Float32Array;
    assert.deepEqual(feeds['loss_weight']?.dims, [4, 1, 1, 1]);
    for (let b = 0; b < 4; b++) {
      const a = zeroSnr.alphasCumprod[timesteps[b]!]!;
      const snr = a / (1 - a);
      const expected = Math.min(snr, gamma) / (snr + 1) / (4 * 256);
      assert.ok(
        Math.abs(weights[b]! - expected) <= 1e-6 * expected,
        `t = ${timesteps[b]}: weight ${weights[b]}, expected ${expected}`,
      );
      seen.add(snr > gamma ? 'clipped' : 'unclipped');
    }
  }
  assert.deepEqual([...seen].sort(), ['clipped', 'unclipped'], 'the draws cover both sides of SNR = γ');
  await c.close();
});

test('with a timestep bias the biased part of the range gets twice the draws per timestep; without one the draws are the stratified ones', async (t) => {
  const c = await fourItemCache(t);
  const settings = {
    batchSize: 4,
    range: { min: 350, max: 999 },
    alphasCumprod: schedule.alphasCumprod,
    predictionType: 'v_prediction' as const,
    captionDropout: 0,
    seed: 2,
  };
  // A range bias like tiny.yaml's base's (which weighs 3): 350…649 weigh 2, 650…999 weigh 1, so 600 of 950
  // parts fall below 650.
  const weights = timestepBiasWeights({ strategy: 'range', multiplier: 2, begin: 350, end: 650 }, 1000);
  const biased = new BatchAssembler(c, c.groups[0]!, { ...settings, timestepWeights: weights });
  const plain = new BatchAssembler(c, c.groups[0]!, settings);
  let low = 0;
  let lowPlain = 0;
  const batches = 300;
  for (let m = 0; m < batches; m++) {
    const b = (await biased.assemble([0, 1, 2, 3], m)).timesteps;
    const u = (await plain.assemble([0, 1, 2, 3], m)).timesteps;
    for (const x of b) {
      assert.ok(x >= 350 && x <= 999, `t = ${x}`);
      low += x < 650 ? 1 : 0;
    }
    for (const x of u) lowPlain += x < 650 ? 1 : 0;
    if (m < 3) {
      const random = streamRandom(2, m, STREAM.timesteps);
      assert.deepEqual(Array.from(u), Array.from(sampleExpertTimesteps(settings.range, 4, random)));
    }
  }
  const n = batches * 4;
  assert.ok(Math.abs(low / n - 600 / 950) < 0.03, `biased: ${low / n} of the draws below 650`);
  assert.ok(Math.abs(lowPlain / n - 300 / 650) < 0.03, `uniform: ${lowPlain / n} below 650`);
  await c.close();
});

async function readLatents(c: EmbeddingCache, index: number): Promise<Float32Array> {
  const latents = new Float32Array(256);
  await c.readInto(c.groups[0]!.items[index]!, {
    latents,
    promptEmbeds: new Float32Array(77 * 64),
    pooled: new Float32Array(64),
  });
  return latents;
}

/** A cache of four training items and one held-out one, opened; its folder is removed after the test. */
async function fourItemCache(t: TestContext): Promise<EmbeddingCache> {
  const root = await tempRoot();
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeCache(join(root, 'cache'), { train: 4, eval: 1 });
  const cache = await openEmbeddingCache(join(root, 'cache'));
  assert.ok(cache.ok, cache.ok ? '' : cache.error);
  return cache.value;
}
