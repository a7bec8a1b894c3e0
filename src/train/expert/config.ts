/** The built-in expert trainer's settings, resolved (defaults filled in, paths absolute). */
import { createHash } from 'node:crypto';
import type {
  ExpertRole,
  NoiseScheduleSpec,
  PredictionType,
  TimestepBias,
  TimestepDensity,
  TimestepSpacing,
} from '../../diffusion/index.js';
import type { ScheduleKind } from '../optim/index.js';

export interface ExpertTrainingConfig {
  readonly role: ExpertRole;
  /** A diffusers UNet folder (config.json + weights): the starting point. */
  readonly unetDir: string;
  /** An embeds.cache output folder. */
  readonly cacheDir: string;
  readonly strength: number;
  /**
   * Flow matching (SD3, Flux, Wan): σ from `density`, shifted, inside the expert's side of `boundary` (b: the
   * base owns σ ≥ b); the noise schedule, strength and prediction type are then not used.
   */
  readonly flow?: { readonly boundary: number; readonly shift: number; readonly density: TimestepDensity };
  readonly predictionType: PredictionType;
  /** The training noise schedule; `rescaleBetasZeroSnr` is the zero-SNR switch. */
  readonly noiseSchedule: NoiseScheduleSpec;
  /** Recorded only: spacing changes inference timesteps, not the training ones (as SimpleTuner notes). */
  readonly timestepSpacing: TimestepSpacing;
  readonly learningRate: number;
  readonly lrScheduler: ScheduleKind;
  readonly lrWarmupSteps: number;
  readonly weightDecay: number;
  readonly batchSize: number;
  readonly gradientAccumulation: number;
  readonly maxGradNorm?: number;
  /** How max_grad_norm clips: the global norm (default) or each element (SimpleTuner's `value`). */
  readonly gradClipMethod?: 'norm' | 'value';
  /** Min-SNR γ; no weighting when absent. */
  readonly snrGamma?: number;
  /** More of each batch's timesteps from one part of the schedule (DDPM experts); uniform when absent. */
  readonly timestepBias?: TimestepBias;
  /** Share of samples trained on the empty prompt (zero embeddings). */
  readonly captionDropout: number;
  /** EMA decay; no EMA when absent. */
  readonly emaDecay?: number;
  /** Optimizer steps. */
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly seed: number;
  readonly device: 'cpu' | 'cuda';
  /** onnxruntime intra-op threads. */
  readonly threads: number;
}

/**
 * A digest of everything that decides the run's numbers. A checkpoint made under other settings is not
 * resumed (threads, device and the checkpoint interval do not change the numbers, so they are left out).
 */
export function settingsDigest(c: ExpertTrainingConfig): string {
  const { threads: _t, device: _d, checkpointEvery: _k, ...rest } = c;
  return createHash('sha256')
    .update(JSON.stringify(sortKeys(rest)))
    .digest('hex')
    .slice(0, 32);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, sortKeys(o[k])]),
  );
}
