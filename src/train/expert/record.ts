// training.json: what a train.expert run did, in the pipeline's vocabulary. Written by both backends (the
// built-in trainer and SimpleTuner's); read by the report (the experts' settings side by side, timings).
import type { JsonValue } from '../../contract/values.js';
import type { TimestepBias } from '../../diffusion/index.js';

export interface TrainingRecord {
  readonly backend: 'builtin' | 'simpletuner';
  readonly role: 'base' | 'refiner';
  readonly strength: number;
  /** The training timesteps, inclusive. */
  readonly timestep_range: readonly [number, number] | null;
  readonly prediction_type: string | null;
  readonly zero_snr: boolean | null;
  readonly timestep_spacing: string | null;
  readonly steps: number;
  readonly seed: number;
  /** Seconds the training took, when the backend measures it. */
  readonly elapsed_s?: number;
  readonly steps_per_s?: number | null;
  /** The checkpoint step a resumed run started from. */
  readonly resumed_from?: number | null;
  /** The other settings, each shown as a row of the report's settings table. */
  readonly [setting: string]: JsonValue | undefined;
}

/** The timing fields of a record: not settings. */
export const TRAINING_TIMING_KEYS: readonly string[] = ['elapsed_s', 'steps_per_s', 'resumed_from'];

/** A timestep bias as training.json keeps it: SimpleTuner's flat keys, none when there is no bias. */
export function timestepBiasRecord(b: TimestepBias | undefined): Record<string, JsonValue> {
  if (b === undefined) return {};
  return {
    timestep_bias_strategy: b.strategy,
    timestep_bias_multiplier: b.multiplier,
    ...(b.strategy === 'range'
      ? { timestep_bias_begin: b.begin, timestep_bias_end: b.end }
      : { timestep_bias_portion: b.portion }),
  };
}
