// The scheduler a diffusion step samples or evaluates with: the model folder's scheduler_config.json
// (diffusers' vocabulary) with the pipeline's overrides applied on top.
import { createScheduler } from '../diffusion/index.js';
import type { Scheduler, SchedulerKind } from '../diffusion/index.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export interface ScheduleOverrides {
  readonly prediction_type?: string;
  readonly zero_snr?: boolean;
  readonly timestep_spacing?: string;
}

export function schedulerConfig(
  fromModel: Readonly<Record<string, unknown>>,
  o: ScheduleOverrides,
): Record<string, unknown> {
  return {
    ...fromModel,
    ...(o.prediction_type !== undefined ? { prediction_type: o.prediction_type } : {}),
    ...(o.zero_snr !== undefined ? { rescale_betas_zero_snr: o.zero_snr } : {}),
    ...(o.timestep_spacing !== undefined ? { timestep_spacing: o.timestep_spacing } : {}),
  };
}

/** A factory of fresh schedulers (each run needs its own state); checks the config once. */
export function schedulerMaker(
  kind: SchedulerKind,
  config: Readonly<Record<string, unknown>>,
): Result<() => Scheduler, string> {
  const made = createScheduler(kind, config);
  if (!made.ok)
    return err(`scheduler ${kind}: ${made.error.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
  return ok(() => {
    const again = createScheduler(kind, config);
    if (!again.ok) throw new Error('scheduler config changed between two checks');
    return again.value.scheduler;
  });
}
