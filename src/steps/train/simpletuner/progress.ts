// SimpleTuner reports progress as a tqdm bar on stderr:
//   Epoch 1/40, Steps:   2%|▏   | 160/7600 [01:02<48:11, 2.57it/s, step_loss=5.16e-5, lr=9.89e-5]
// tqdm redraws it with carriage returns, so callers split on both \r and \n before parsing.
import type { ProgressUpdate } from '../../../contract/step.js';

export interface SimpleTunerProgress {
  readonly epoch?: number;
  readonly epochs?: number;
  readonly step: number;
  readonly total: number;
  readonly loss?: number;
  readonly lr?: number;
}

const STEPS = /Steps:.*?(\d+)\/(\d+)\s*\[([^\]]*)\]/;
const EPOCH = /Epoch\s+(\d+)\/(\d+)/;

export function parseProgressLine(line: string): SimpleTunerProgress | undefined {
  const m = STEPS.exec(line);
  if (!m) return undefined;
  const step = Number(m[1]);
  const total = Number(m[2]);
  const inside = m[3] ?? '';
  const e = EPOCH.exec(line);
  const loss = field(inside, 'step_loss');
  const lr = field(inside, 'lr');
  return {
    step,
    total,
    ...(e ? { epoch: Number(e[1]), epochs: Number(e[2]) } : {}),
    ...(loss !== undefined ? { loss } : {}),
    ...(lr !== undefined ? { lr } : {}),
  };
}

function field(inside: string, name: string): number | undefined {
  const m = new RegExp(`(?:^|[\\s,])${name}=([-+0-9.eE]+|nan|inf)`).exec(inside);
  if (!m?.[1]) return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : undefined;
}

export function toProgressUpdate(p: SimpleTunerProgress): ProgressUpdate {
  const metrics: Record<string, number> = {};
  if (p.loss !== undefined) metrics.loss = p.loss;
  if (p.lr !== undefined) metrics.lr = p.lr;
  const parts = [`step ${p.step}/${p.total}`];
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toPrecision(3)}`);
  if (p.lr !== undefined) parts.push(`lr ${p.lr.toPrecision(3)}`);
  return { done: p.step, total: p.total, message: parts.join(' '), metrics };
}
