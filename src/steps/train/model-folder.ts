// What the trainer reads from a model folder besides the UNet: the noise schedule and defaults from
// scheduler/scheduler_config.json (diffusers' vocabulary).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BetaSchedule, PredictionType, TimestepSpacing } from '../../diffusion/index.js';
import { BETA_SCHEDULES, PREDICTION_TYPES, TIMESTEP_SPACINGS } from '../../diffusion/index.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';

export interface SchedulerDefaults {
  readonly betaSchedule: BetaSchedule;
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly numTrainTimesteps: number;
  readonly trainedBetas?: readonly number[];
  readonly predictionType: PredictionType;
  readonly timestepSpacing: TimestepSpacing;
  readonly zeroSnr: boolean;
  /** False when the folder has no scheduler config and diffusers' SDXL values were assumed. */
  readonly fromFile: boolean;
}

/** SDXL's (and SSD-1B's) values, what diffusers' schedulers default to for these models. */
const SDXL: SchedulerDefaults = {
  betaSchedule: 'scaled_linear',
  betaStart: 0.00085,
  betaEnd: 0.012,
  numTrainTimesteps: 1000,
  predictionType: 'epsilon',
  timestepSpacing: 'leading',
  zeroSnr: false,
  fromFile: false,
};

function pick<T>(
  o: Record<string, unknown>,
  key: string,
  valid: (v: unknown) => v is T,
  fallback: T,
): Result<T, string> {
  const v = o[key];
  if (v === undefined || v === null) return ok(fallback);
  return valid(v) ? ok(v) : err(`${key}: unexpected value ${JSON.stringify(v)}`);
}

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: unknown): v is T =>
    typeof v === 'string' && (values as readonly string[]).includes(v);
const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 2;
const bool = (v: unknown): v is boolean => typeof v === 'boolean';
const betas = (v: unknown): v is number[] =>
  Array.isArray(v) && v.length > 0 && v.every((b) => typeof b === 'number' && b > 0 && b < 1);

export async function readSchedulerDefaults(modelDir: string): Promise<Result<SchedulerDefaults, string>> {
  const path = join(modelDir, 'scheduler', 'scheduler_config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(SDXL);
    return err(`${path}: ${(e as Error).message}`);
  }
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    return err(`${path}: not JSON (${(e as Error).message})`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return err(`${path}: expected a JSON object`);
  const c = o as Record<string, unknown>;
  const fields = {
    betaSchedule: pick(c, 'beta_schedule', oneOf(BETA_SCHEDULES), SDXL.betaSchedule),
    betaStart: pick(c, 'beta_start', positive, SDXL.betaStart),
    betaEnd: pick(c, 'beta_end', positive, SDXL.betaEnd),
    numTrainTimesteps: pick(c, 'num_train_timesteps', count, SDXL.numTrainTimesteps),
    predictionType: pick(c, 'prediction_type', oneOf(PREDICTION_TYPES), SDXL.predictionType),
    timestepSpacing: pick(c, 'timestep_spacing', oneOf(TIMESTEP_SPACINGS), SDXL.timestepSpacing),
    zeroSnr: pick(c, 'rescale_betas_zero_snr', bool, SDXL.zeroSnr),
    trainedBetas: pick<number[] | undefined>(c, 'trained_betas', betas, undefined),
  };
  for (const r of Object.values(fields)) if (!r.ok) return err(`${path}: ${r.error}`);
  const v = <T>(r: Result<T, string>): T => (r as { readonly value: T }).value;
  const trained = v(fields.trainedBetas);
  return ok({
    betaSchedule: v(fields.betaSchedule),
    betaStart: v(fields.betaStart),
    betaEnd: v(fields.betaEnd),
    numTrainTimesteps: v(fields.numTrainTimesteps),
    predictionType: v(fields.predictionType),
    timestepSpacing: v(fields.timestepSpacing),
    zeroSnr: v(fields.zeroSnr),
    ...(trained ? { trainedBetas: trained } : {}),
    fromFile: true,
  });
}
