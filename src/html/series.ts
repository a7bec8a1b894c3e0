// Series preparation for the loss charts: smoothing (what TensorBoard shows as the bold line) and
// downsampling so a 100,000-step run still draws as a small page.
import type { LossPoint } from './model.js';

/**
 * Exponential moving average with bias correction (as Adam corrects its moments), so the first points are
 * not dragged towards zero: s_t = β·s_{t−1} + (1−β)·x_t, shown as s_t / (1 − β^t).
 */
export function smooth(points: readonly LossPoint[], beta: number): LossPoint[] {
  let s = 0;
  let w = 0;
  return points.map((p) => {
    s = beta * s + (1 - beta) * p.loss;
    w = beta * w + (1 - beta);
    return { step: p.step, loss: s / w };
  });
}

/** train.expert's β for its final_loss metric (src/train/expert/loop.ts), debiased. */
export const FINAL_LOSS_SMOOTHING = 0.98;

/** A smoothing weight that suits the run length: about 1/20 of the run is averaged over. */
export function smoothingFor(length: number): number {
  if (length < 8) return 0;
  return Math.min(0.98, 1 - 20 / length);
}

/** At most `max` points: consecutive runs averaged into one point each (mean step, mean loss). */
export function downsample(points: readonly LossPoint[], max: number): LossPoint[] {
  if (points.length <= max) return [...points];
  const out: LossPoint[] = [];
  const per = points.length / max;
  for (let b = 0; b < max; b++) {
    const from = Math.floor(b * per);
    const to = Math.floor((b + 1) * per);
    let step = 0;
    let loss = 0;
    for (let i = from; i < to; i++) {
      const p = points[i] as LossPoint;
      step += p.step;
      loss += p.loss;
    }
    out.push({ step: step / (to - from), loss: loss / (to - from) });
  }
  return out;
}
