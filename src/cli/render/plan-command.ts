// `moe plan` (and `moe run --dry-run`): every node as cached / will run / blocked / error, with reasons.
import type { PlanEntry } from '../../engine/plan.js';
import { colors, useColor } from './format.js';
import { CliFailure, EXIT, openOrExit, workspaceFor } from './support.js';

export interface PlanFlags {
  readonly param: readonly string[];
  readonly workspace?: string | undefined;
  readonly force: readonly string[];
  readonly only: readonly string[];
  readonly from: readonly string[];
}

export interface PlanJson {
  readonly pipeline: string;
  readonly nodes: readonly {
    readonly node: string;
    readonly status: string;
    readonly reasons: readonly string[];
    readonly fingerprint?: string;
  }[];
  readonly counts: Readonly<Record<string, number>>;
}

export async function planCommand(file: string, flags: PlanFlags, json: boolean): Promise<PlanJson> {
  const ws = workspaceFor(file, flags.workspace);
  const opened = await openOrExit(file, flags.param, ws);
  const { planForCli } = await import('../../engine/plan-service.js');
  const planned = await planForCli({
    pipeline: opened.pipeline,
    steps: opened.registry,
    resolve: opened.resolve,
    memo: opened.memo,
    workspace: ws,
    force: flags.force,
    only: flags.only,
    from: flags.from,
  });
  if (!planned.ok) throw new CliFailure(planned.error.message, EXIT.invalid);
  opened.saveMemo();
  const entries = planned.value;
  const counts: Record<string, number> = { cached: 0, run: 0, blocked: 0, error: 0 };
  for (const e of entries) counts[e.status] = (counts[e.status] ?? 0) + 1;
  const result: PlanJson = {
    pipeline: opened.pipeline.name,
    nodes: entries.map((e) => ({
      node: e.node,
      status: e.status,
      reasons: e.reasons,
      ...(e.evaluation ? { fingerprint: e.evaluation.fingerprint } : {}),
    })),
    counts,
  };
  if (!json) process.stdout.write(renderPlan(entries, useColor(process.stdout)));
  return result;
}

const LABEL: Record<PlanEntry['status'], string> = {
  cached: 'cached',
  run: 'will run',
  blocked: 'blocked',
  error: 'error',
};

export function renderPlan(entries: readonly PlanEntry[], color: boolean): string {
  const c = colors(color);
  const paint = { cached: c.dim, run: c.yellow, blocked: c.dim, error: c.red } as const;
  const width = Math.max(4, ...entries.map((e) => e.node.length));
  const lines = entries.map((e) => {
    const label = paint[e.status](LABEL[e.status].padEnd(8));
    const why = e.reasons.length > 0 ? `  ${e.reasons.join('; ')}` : '';
    return `${label}  ${e.node.padEnd(width)}${why}`.trimEnd();
  });
  const n = (s: PlanEntry['status']): number => entries.filter((e) => e.status === s).length;
  const totals = [`${n('run')} will run`, `${n('cached')} cached`];
  if (n('blocked') > 0) totals.push(`${n('blocked')} blocked until upstream nodes run`);
  if (n('error') > 0) totals.push(c.red(`${n('error')} with errors`));
  return `${lines.join('\n')}\n${totals.join(', ')}\n`;
}
