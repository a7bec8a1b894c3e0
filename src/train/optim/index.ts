// Optimizers for moe's trainer: AdamW, clipping, schedules, accumulation, EMA, checkpointable state.
export { AdamW } from './adamw.js';
export type { AdamWOptions, AdamWState, Parameter } from './adamw.js';
export { clipCoefficient, clipGradNorm, clipGradValue, globalNorm } from './clip.js';
export { learningRate, lrMultiplier } from './schedule.js';
export type { LrSchedule, ScheduleKind } from './schedule.js';
export { GradientAccumulator } from './accumulate.js';
export { WeightEma } from './ema.js';
export type { EmaOptions } from './ema.js';
export { loadOptimizerState, optimizerStateTensors, saveOptimizerState } from './state.js';
export type { OptimizerStateError } from './state.js';
export { buildTrainingModel, createTrainer } from './trainer.js';
export type {
  StepResult,
  TrainedParameter,
  Trainer,
  TrainerError,
  TrainerOptions,
  TrainerTimes,
} from './trainer.js';
