/**
 * One micro-batch's feeds: cached latents and text embeddings, timesteps from the expert's range
 * (stratified), Gaussian noise, the noisy latents and the prediction target from the numerics module, and
 * the per-sample loss weights. Draws come from counter-based streams keyed by the micro-batch index.
 */
import { ort } from '../../onnx/index.js';
import {
  addNoise,
  flowNoisy,
  flowTarget,
  flowTimesteps,
  minSnrWeights,
  predictionTarget,
  sampleBiasedExpertTimesteps,
  sampleExpertTimesteps,
  sampleFlowSigmas,
} from '../../diffusion/index.js';
import type { PredictionType, SigmaInterval, TimestepDensity, TimestepRange } from '../../diffusion/index.js';
import type { CacheGroup, EmbeddingCache } from './cache.js';
import { LOSS_WEIGHT, TARGET } from './loss.js';
import { STREAM, fillGaussian, streamRandom } from './random.js';

/**
 * Flow matching instead of the DDPM forward process: σ from `density` shifted by `shift` inside the
 * expert's σ range, x = (1 − σ)·x₀ + σ·ε, target ε − x₀, timestep 1000·σ.
 */
export interface FlowBatchSettings {
  readonly density: TimestepDensity;
  readonly shift: number;
  readonly sigmas: SigmaInterval;
  readonly numTrainTimesteps: number;
}

export interface BatchSettings {
  readonly batchSize: number;
  /** When set, batches are flow-matching ones and range, alphasCumprod, predictionType and snrGamma are unused. */
  readonly flow?: FlowBatchSettings;
  readonly range: TimestepRange;
  readonly alphasCumprod: Float64Array;
  readonly predictionType: PredictionType;
  /** Min-SNR γ, when weighting is on. */
  readonly snrGamma?: number;
  /** The weight of each timestep 0 … N−1 when a timestep bias is on (timestepBiasWeights); uniform draws otherwise. */
  readonly timestepWeights?: Float64Array;
  /**
   * Probability of training a sample on the empty prompt (all-zero embeddings, as
   * force_zeros_for_empty_prompt makes it at inference), so classifier-free guidance has an
   * unconditional prediction to contrast with.
   */
  readonly captionDropout: number;
  readonly seed: number;
}

export interface AssembledBatch {
  readonly feeds: Record<string, ort.Tensor>;
  /** Integers for the DDPM forward process; 1000·σ (fractional) for flow matching. */
  readonly timesteps: Int32Array | Float64Array;
}

/** Buffers for one shape group, allocated once and refilled for every batch of that group. */
export class BatchAssembler {
  private readonly latents: Float32Array;
  private readonly embeds: Float32Array;
  private readonly pooled: Float32Array;
  private readonly timeIds: Float32Array;
  private readonly noise: Float32Array;
  private readonly latentSize: number;
  private readonly embedSize: number;

  constructor(
    private readonly cache: EmbeddingCache,
    private readonly group: CacheGroup,
    private readonly settings: BatchSettings,
  ) {
    const b = settings.batchSize;
    const [c, h, w] = group.latentShape;
    this.latentSize = c * h * w;
    this.embedSize = cache.embedShape[0] * cache.embedShape[1];
    this.latents = new Float32Array(b * this.latentSize);
    this.noise = new Float32Array(b * this.latentSize);
    this.embeds = new Float32Array(b * this.embedSize);
    this.pooled = new Float32Array(b * cache.pooledSize);
    this.timeIds = new Float32Array(b * cache.timeIdCount);
  }

  async assemble(items: readonly number[], microBatch: number): Promise<AssembledBatch> {
    const s = this.settings;
    const b = s.batchSize;
    const p = this.cache.pooledSize;
    const k = this.cache.timeIdCount;
    for (let i = 0; i < b; i++) {
      const item = this.group.items[items[i] as number];
      if (item === undefined) throw new RangeError(`batch item ${items[i]} is outside its group`);
      await this.cache.readInto(item, {
        latents: this.latents.subarray(i * this.latentSize, (i + 1) * this.latentSize),
        promptEmbeds: this.embeds.subarray(i * this.embedSize, (i + 1) * this.embedSize),
        pooled: this.pooled.subarray(i * p, (i + 1) * p),
      });
      this.timeIds.set(item.timeIds, i * k);
    }
    if (s.captionDropout > 0) {
      const drop = streamRandom(s.seed, microBatch, STREAM.dropout);
      for (let i = 0; i < b; i++) {
        if (drop() >= s.captionDropout) continue;
        this.embeds.fill(0, i * this.embedSize, (i + 1) * this.embedSize);
        this.pooled.fill(0, i * p, (i + 1) * p);
      }
    }
    const random = streamRandom(s.seed, microBatch, STREAM.timesteps);
    const sigmas = s.flow && sampleFlowSigmas(s.flow.density, s.flow.shift, s.flow.sigmas, b, random);
    const timesteps = sigmas
      ? flowTimesteps(sigmas, s.flow?.numTrainTimesteps)
      : s.timestepWeights
        ? sampleBiasedExpertTimesteps(s.range, s.timestepWeights, b, random)
        : sampleExpertTimesteps(s.range, b, random);
    fillGaussian(this.noise, streamRandom(s.seed, microBatch, STREAM.noise));
    const noisy = sigmas
      ? flowNoisy(this.latents, this.noise, sigmas)
      : addNoise(this.latents, this.noise, s.alphasCumprod, timesteps);
    const target = sigmas
      ? flowTarget(this.latents, this.noise)
      : predictionTarget(s.predictionType, this.latents, this.noise, s.alphasCumprod, timesteps);
    const gamma =
      s.snrGamma === undefined || sigmas
        ? undefined
        : minSnrWeights(s.alphasCumprod, timesteps, s.snrGamma, s.predictionType);
    const elements = b * this.latentSize;
    const weights = Float32Array.from({ length: b }, (_v, i) => (gamma?.[i] ?? 1) / elements);
    const [c, h, w] = this.group.latentShape;
    const [tokens, width] = this.cache.embedShape;
    const feeds: Record<string, ort.Tensor> = {
      sample: new ort.Tensor('float32', noisy, [b, c, h, w]),
      timestep: new ort.Tensor('float32', Float32Array.from(timesteps), [b]),
      encoder_hidden_states: new ort.Tensor('float32', this.embeds, [b, tokens, width]),
      text_embeds: new ort.Tensor('float32', this.pooled, [b, p]),
      time_ids: new ort.Tensor('float32', this.timeIds, [b, k]),
      [TARGET]: new ort.Tensor('float32', target, [b, c, h, w]),
      [LOSS_WEIGHT]: new ort.Tensor('float32', weights, [b, 1, 1, 1]),
    };
    return { feeds, timesteps };
  }
}
