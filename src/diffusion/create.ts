// createScheduler: a config in diffusers' vocabulary in, a checked sampler out.
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { ConfigIssue, SchedulerConfig, SchedulerKind } from './config.js';
import { parseSchedulerKind, resolveSchedulerConfig } from './config.js';
import { DdimScheduler } from './samplers/ddim.js';
import { DdpmScheduler } from './samplers/ddpm.js';
import { DpmppScheduler } from './samplers/dpmpp-2m.js';
import { EulerScheduler } from './samplers/euler.js';
import { FlowMatchEulerScheduler } from './samplers/flow-euler.js';
import { UniPcScheduler } from './samplers/unipc.js';
import type { Scheduler } from './scheduler.js';

export interface CreatedScheduler {
  readonly scheduler: Scheduler;
  /** Config keys this scheduler does not read (diffusers ignores them the same way), sorted. */
  readonly ignoredKeys: readonly string[];
}

/**
 * Builds a sampler of the given kind (ddpm | ddim | euler | unipc | dpmpp_2m | flow_euler, or diffusers' class
 * name) from
 * a config such as a model's scheduler_config.json. Missing keys take the diffusers class's defaults; every
 * invalid or unsupported value is reported at once, as values, never thrown.
 *
 * @example
 * const made = createScheduler('unipc', { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012,
 *   prediction_type: 'v_prediction', rescale_betas_zero_snr: true, timestep_spacing: 'trailing' });
 * if (made.ok) made.value.scheduler.setTimesteps(40);
 */
export function createScheduler(
  kind: SchedulerKind | string,
  config: Readonly<Record<string, unknown>> = {},
): Result<CreatedScheduler, readonly ConfigIssue[]> {
  const parsed = parseSchedulerKind(kind);
  if (!parsed.ok) return err([parsed.error]);
  const resolved = resolveSchedulerConfig(parsed.value, config);
  if (!resolved.ok) return resolved;
  return ok({
    scheduler: instantiate(parsed.value, resolved.value.config),
    ignoredKeys: resolved.value.ignoredKeys,
  });
}

/** The sampler class of each kind (a Record over SchedulerKind, so a new kind without a class fails to compile). */
const SAMPLERS: Readonly<Record<SchedulerKind, new (config: SchedulerConfig) => Scheduler>> = {
  ddpm: DdpmScheduler,
  ddim: DdimScheduler,
  euler: EulerScheduler,
  unipc: UniPcScheduler,
  dpmpp_2m: DpmppScheduler,
  flow_euler: FlowMatchEulerScheduler,
};

function instantiate(kind: SchedulerKind, config: SchedulerConfig): Scheduler {
  return new SAMPLERS[kind](config);
}
