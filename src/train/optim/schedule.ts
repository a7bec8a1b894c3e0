/**
 * Learning-rate schedules with the semantics of diffusers' get_scheduler (what SimpleTuner uses): a
 * multiplier of the base rate as a function of the optimizer step (0-based), with a linear warm-up from 0.
 */

export type ScheduleKind = 'constant' | 'constant_with_warmup' | 'linear' | 'cosine';

export interface LrSchedule {
  readonly kind: ScheduleKind;
  /** The peak learning rate. */
  readonly lr: number;
  /** Warm-up steps (ignored by `constant`). @default 0 */
  readonly warmupSteps?: number;
  /** Total optimizer steps (needed by `linear` and `cosine`). */
  readonly totalSteps?: number;
  /** Cosine cycles (0.5: one half-wave down to 0). @default 0.5 */
  readonly cycles?: number;
}

/** The learning rate at optimizer step `step` (0 for the first update). */
export function learningRate(s: LrSchedule, step: number): number {
  return s.lr * lrMultiplier(s, step);
}

export function lrMultiplier(s: LrSchedule, step: number): number {
  const warmup = s.warmupSteps ?? 0;
  if (s.kind === 'constant') return 1;
  if (step < warmup) return step / Math.max(1, warmup);
  if (s.kind === 'constant_with_warmup') return 1;
  const total = s.totalSteps;
  if (total === undefined) throw new Error(`the ${s.kind} schedule needs totalSteps`);
  if (s.kind === 'linear') return Math.max(0, (total - step) / Math.max(1, total - warmup));
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * (s.cycles ?? 0.5) * 2 * progress)));
}
