import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderStatus } from '../../src/cli/render/status.js';
import { readRunReport } from '../../src/engine/status.js';
import { journalPath, workspaceAt } from '../../src/engine/workspace.js';

test("moe status: each node's start after the run's start, so the table is the run's timeline", (t) => {
  const root = mkdtempSync(join(tmpdir(), 'moe-status-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const ws = workspaceAt(root);
  mkdirSync(ws.runs, { recursive: true });
  const t0 = 1_796_000_000_000;
  const events = [
    {
      type: 'run-start',
      runId: 'r1',
      pipeline: 'p',
      file: join(root, 'p.yaml'),
      workspace: root,
      nodes: ['a', 'b', 'c'],
      jobs: 2,
      time: t0,
    },
    { type: 'node-cached', node: 'a', time: t0 + 5 },
    {
      type: 'node-start',
      node: 'b',
      fingerprint: 'f',
      attempt: 1,
      reasons: [],
      gpus: [],
      logFile: 'b.log',
      time: t0 + 1_200,
    },
    {
      type: 'node-done',
      node: 'b',
      fingerprint: 'f',
      outputs: 'o',
      unchanged: false,
      durationMs: 95_000,
      time: t0 + 96_200,
    },
    {
      type: 'node-start',
      node: 'c',
      fingerprint: 'g',
      attempt: 1,
      reasons: [],
      gpus: [],
      logFile: 'c.log',
      time: t0 + 96_300,
    },
    {
      type: 'node-done',
      node: 'c',
      fingerprint: 'g',
      outputs: 'p',
      unchanged: false,
      durationMs: 4_200,
      time: t0 + 100_500,
    },
    {
      type: 'run-end',
      status: 'succeeded',
      counts: { ran: 2, cached: 1, failed: 0, skipped: 0 },
      durationMs: 100_600,
      time: t0 + 100_600,
    },
  ];
  writeFileSync(journalPath(ws, 'r1'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const report = readRunReport(ws, 'r1');
  assert.ok(report);
  assert.deepEqual(
    report.nodes.map((n) => [n.node, n.startMs, n.durationMs]),
    [
      ['a', undefined, undefined],
      ['b', 1_200, 95_000],
      ['c', 96_300, 4_200],
    ],
  );
  const text = renderStatus(report, false);
  assert.match(text, /^cached\s+a\s*$/m);
  assert.match(text, /^done\s+b\s+1m35s {2}at \+1\.2s$/m);
  assert.match(text, /^done\s+c\s+4\.2s {2}at \+1m36s$/m);
});
