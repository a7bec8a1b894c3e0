// SimpleTuner's own defaults (its argument parser at commit bc8e6ab, test/fixtures/reference/simpletuner/
// options.tsv) for the options where moe's train.expert default differs. A config that leaves one of
// these unset trained with SimpleTuner's value, so the import writes that value to keep the run the same.
import type { JsonValue } from '../../pipeline/types.js';

/** SimpleTuner option → [train.expert field, SimpleTuner's default as the field's value]. */
export const SIMPLETUNER_DEFAULTS: Readonly<Record<string, readonly [string, JsonValue]>> = {
  learning_rate: ['learning_rate', 4e-7],
  lr_scheduler: ['lr_scheduler', 'constant_with_warmup'],
  train_batch_size: ['batch_size', 4],
  checkpoint_step_interval: ['checkpoint_every', 500],
  caption_dropout_probability: ['caption_dropout_probability', 0.1],
  max_grad_norm: ['max_grad_norm', 2],
  grad_clip_method: ['grad_clip_method', 'value'],
  mixed_precision: ['mixed_precision', 'bf16'],
  gradient_checkpointing: ['gradient_checkpointing', true],
  refiner_training_strength: ['strength', 0.2],
  training_scheduler_timestep_spacing: ['timestep_spacing', 'trailing'],
  rescale_betas_zero_snr: ['zero_snr', false],
};

/** SimpleTuner's validation defaults that compose.inference takes when the config sets none. */
export const VALIDATION_GUIDANCE_DEFAULT = 7.5;
