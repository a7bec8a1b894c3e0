// SimpleTuner's validation loss ("eval loss"): the mean diffusion loss on an eval dataset (images it does
// not train on) at `eval_timesteps` fixed timesteps, every `eval_steps_interval` steps. SimpleTuner
// (helpers/training/validation.py, class Evaluation, at bc8e6ab) hands it to its trackers as
// `loss/val/<dataset id>`; with `report_to: simpletuner` its LocalMetricsTracker
// (helpers/training/local_metrics.py) appends every logged step to {output_dir}/training_metrics.jsonl as
// {"metrics": {...}, "schema_version": 1, "step": N, "timestamp": ...}. moe writes the options and the
// eval dataset, and reads the losses back from that file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConfigValue } from './config.js';
import type { SimpleTunerSpec } from './spec.js';

/** SimpleTuner's own metrics file in output_dir (report_to: simpletuner). */
export const TRAINING_METRICS_FILE = 'training_metrics.jsonl';
/** The tracker key prefix of the validation loss of each eval dataset. */
const PREFIX = 'loss/val/';
/** The eval dataset's id in multidatabackend.json (its loss is `loss/val/held-out`). */
export const EVAL_DATASET_ID = 'held-out';

export interface ValidationLoss {
  readonly step: number;
  /** SimpleTuner's eval dataset id. */
  readonly dataset: string;
  readonly loss: number;
}

export interface EvalSettings {
  readonly config: Readonly<Record<string, ConfigValue>>;
  /** The eval dataset's multidatabackend.json entry. */
  readonly dataset?: Readonly<Record<string, ConfigValue>>;
  readonly warnings: readonly string[];
}

/** The config options and eval dataset for `validation.loss_every`; nothing when it is not set. */
export function evalSettings(spec: SimpleTunerSpec): EvalSettings {
  const v = spec.validation;
  if (v?.lossEvery === undefined) return { config: {}, warnings: [] };
  if (spec.evalDataDir === undefined) {
    return {
      config: {},
      warnings: [
        'validation.loss_every: no held-out images to compute it on (dataset.images with an eval split); SimpleTuner computes no validation loss',
      ],
    };
  }
  const config: Record<string, ConfigValue> = { eval_steps_interval: v.lossEvery };
  if (v.lossImages !== undefined) config.num_eval_images = v.lossImages;
  if (v.lossTimesteps !== undefined) config.eval_timesteps = v.lossTimesteps;
  const dataset = {
    id: EVAL_DATASET_ID,
    type: 'local',
    dataset_type: 'eval',
    instance_data_dir: spec.evalDataDir,
    caption_strategy: 'textfile',
    resolution: spec.resolution ?? 1024,
    resolution_type: 'pixel_area',
    crop: false,
    // Beside the training latents, shared by both experts like them.
    cache_dir_vae: join(dirname(spec.cacheDirVae), 'vae-eval'),
  };
  return { config, dataset, warnings: [] };
}

/**
 * The validation losses SimpleTuner logged in `outputDir`, by step. A resumed run logs again from its
 * checkpoint, so a step logged twice keeps its last value. A line cut short by a kill is skipped.
 */
export function readValidationLosses(outputDir: string): ValidationLoss[] {
  const file = join(outputDir, TRAINING_METRICS_FILE);
  if (!existsSync(file)) return [];
  const found = new Map<string, ValidationLoss>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof record !== 'object' || record === null) continue;
    const { step, metrics } = record as { step?: unknown; metrics?: unknown };
    if (typeof step !== 'number' || typeof metrics !== 'object' || metrics === null) continue;
    for (const [key, loss] of Object.entries(metrics)) {
      if (!key.startsWith(PREFIX) || typeof loss !== 'number' || !Number.isFinite(loss)) continue;
      const dataset = key.slice(PREFIX.length);
      found.set(`${dataset}\n${step}`, { step, dataset, loss });
    }
  }
  return [...found.values()].sort((a, b) => a.step - b.step || (a.dataset < b.dataset ? -1 : 1));
}

/** The last step's validation loss (the mean over eval datasets when there are several). */
export function lastValidationLoss(losses: readonly ValidationLoss[]): number | undefined {
  const last = losses.at(-1)?.step;
  if (last === undefined) return undefined;
  const at = losses.filter((l) => l.step === last);
  return at.reduce((s, l) => s + l.loss, 0) / at.length;
}
