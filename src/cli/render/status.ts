// `moe status`'s table: the last run, node by node, and the last sweep's when a later run came after it.
import { relative } from 'node:path';
import type { StatusReport } from '../../app/status.js';
import type { RunReport } from '../../engine/status.js';
import { colors, duration } from './format.js';

export function renderStatus(r: StatusReport, color: boolean): string {
  const c = colors(color);
  const lines = runLines(r, color, c.bold(r.pipeline) + ' run');
  if (r.lastSweep) {
    lines.push('', ...runLines(r.lastSweep, color, `${c.bold('last sweep')}: run`));
  }
  // Columns are padded for the rows that fill them; a row that leaves them empty ends without the padding.
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

function runLines(r: RunReport, color: boolean, title: string): string[] {
  const c = colors(color);
  const state = {
    cached: c.dim('cached '),
    done: c.green('done   '),
    failed: c.red('failed '),
    interrupted: c.yellow('stopped'),
    skipped: c.dim('skipped'),
    running: c.yellow('running'),
    pending: c.dim('pending'),
  } as const;
  const status =
    r.status === 'running'
      ? `running${r.pid !== undefined ? ` (pid ${r.pid})` : ''}`
      : r.status === 'killed'
        ? 'killed before it finished (its process is gone); `moe run` resumes it'
        : r.status;
  const lines = [
    `${title} ${r.runId}: ${status}${r.durationMs !== undefined ? ` in ${duration(r.durationMs)}` : ''}`,
    `  started ${r.startedAt}, file ${relative(process.cwd(), r.file) || r.file}`,
  ];
  if (r.sweep) {
    const n = r.sweep.variants.length;
    lines.push(
      `  sweep of ${r.sweep.axes.join(', ')}, ${n} variant${n === 1 ? '' : 's'}: ${r.sweep.variants.join(' | ')}`,
    );
  }
  const width = Math.max(4, ...r.nodes.map((n) => n.node.length));
  for (const n of r.nodes) {
    const d = n.durationMs !== undefined ? duration(n.durationMs).padStart(7) : ''.padStart(7);
    // Where the node sat in the run: its start after the run's, so the table reads as a timeline.
    const at = n.startMs !== undefined ? c.dim(`  at +${duration(n.startMs)}`) : '';
    const tries = n.attempts !== undefined && n.attempts > 1 ? ` (${n.attempts} attempts)` : '';
    // A node of a killed run was running when its process died: nothing runs it now.
    const label = n.state === 'running' && r.status === 'killed' ? c.red('killed ') : state[n.state];
    lines.push(
      `${label}  ${n.node.padEnd(width)} ${d}${at}${tries}${n.state === 'skipped' && n.error ? c.dim(`  ${n.error}`) : ''}`,
    );
    if (n.state === 'failed') {
      lines.push(`         ${c.red(n.error ?? '')}`);
      if (n.logFile) lines.push(`         log: ${relative(process.cwd(), n.logFile)}`);
    }
  }
  if (r.counts) {
    const k = r.counts;
    const stopped = k.interrupted === undefined ? '' : `, ${k.interrupted} interrupted`;
    lines.push(`${k.ran} ran, ${k.cached} cached, ${k.failed} failed${stopped}, ${k.skipped} skipped`);
  }
  return lines;
}
