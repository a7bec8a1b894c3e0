// One line for a running node's progress: `step 120/400 (30%) loss 0.031`.
import type { ProgressUpdate } from '../../contract/step.js';

export function progressText(p: ProgressUpdate | undefined): string {
  if (!p) return '';
  const parts: string[] = [];
  if (p.done !== undefined && p.total !== undefined && p.total > 0) {
    parts.push(`${p.done}/${p.total} (${Math.floor((100 * p.done) / p.total)}%)`);
  } else if (p.done !== undefined) parts.push(String(p.done));
  if (p.message) parts.push(p.message);
  return parts.join(' ');
}
