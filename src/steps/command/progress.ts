// `moe:progress 3/10 optional message`: how a command reports progress on its standard output.
import type { ProgressUpdate } from '../../contract/step.js';

const PROGRESS = /^moe:progress\s+(\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?(?:\s+(.*))?$/;

export function parseProgress(line: string): ProgressUpdate | undefined {
  const m = PROGRESS.exec(line);
  if (!m) return undefined;
  return {
    done: Number(m[1]),
    ...(m[2] !== undefined ? { total: Number(m[2]) } : {}),
    ...(m[3] !== undefined ? { message: m[3] } : {}),
  };
}
