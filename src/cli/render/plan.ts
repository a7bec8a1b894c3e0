// `moe plan`'s table: every node as cached / will run / blocked / error, with reasons, and the totals.
import type { PlanEntry } from '../../engine/plan.js';
import type { ExpandedSweep } from '../../engine/variants.js';
import { colors } from './format.js';

const LABEL: Record<PlanEntry['status'], string> = {
  cached: 'cached',
  run: 'will run',
  blocked: 'blocked',
  error: 'error',
};

export function renderPlan(entries: readonly PlanEntry[], color: boolean, swept?: ExpandedSweep): string {
  const c = colors(color);
  const paint = { cached: c.dim, run: c.yellow, blocked: c.dim, error: c.red } as const;
  const width = Math.max(4, ...entries.map((e) => e.node.length));
  const lines = entries.map((e) => {
    const label = paint[e.status](LABEL[e.status].padEnd(8));
    const why = e.reasons.length > 0 ? `  ${e.reasons.join('; ')}` : '';
    const serves = swept?.serves.get(e.node) ?? [];
    const shared = serves.length > 1 ? c.dim(`  (shared by ${serves.length} variants)`) : '';
    return `${label}  ${e.node.padEnd(width)}${why}${shared}`.trimEnd();
  });
  const n = (s: PlanEntry['status']): number => entries.filter((e) => e.status === s).length;
  const totals = [`${n('run')} will run`, `${n('cached')} cached`];
  if (n('blocked') > 0) totals.push(`${n('blocked')} blocked until upstream nodes run`);
  if (n('error') > 0) totals.push(c.red(`${n('error')} with errors`));
  const head = swept === undefined ? '' : `${sweepLine(swept)}\n`;
  return `${head}${lines.join('\n')}\n${totals.join(', ')}\n`;
}

/** `sweep: 3 variants of strength (0.25, 0.35, 0.5)`. */
export function sweepLine(swept: ExpandedSweep): string {
  const axes = swept.sweep.axes.map(([n, values]) => `${n} (${values.map(String).join(', ')})`);
  const n = swept.variants.length;
  return `sweep: ${n} variant${n === 1 ? '' : 's'} of ${axes.join(' × ') || 'included values'}`;
}
