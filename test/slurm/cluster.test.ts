// Runs a pipeline through a real single-node Slurm cluster (scripts/slurm-cluster.sh), kills moe while a
// job runs, runs `moe gc` (which must keep that job's folders), and checks that the next moe reattaches to
// that job instead of submitting it again; then that an interrupted moe cancels its jobs. Outside CI it skips when Slurm cannot start; in CI it fails.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectGarbage } from '../../src/engine/gc.js';
import { workspaceAt } from '../../src/engine/workspace.js';

import { commandNode } from '../cli/helpers.js';
import { DRIVER, SMALL_JOB, clusterExecutor, clusterTest } from './cluster-up.js';

const repo = join(import.meta.dirname, '..', '..');

function pipelineText(dir: string, tag: string): string {
  const flag = `${dir}/flaky-${tag}`;
  const nodes = [
    commandNode('first', 'echo one > "$MOE_OUT/one.txt"', { one: 'one.txt' }, SMALL_JOB),
    commandNode(
      'flaky',
      [
        `if [ ! -e ${flag} ]; then touch ${flag}; echo "first try fails" >&2; exit 1; fi`,
        'echo ok > "$MOE_OUT/ok.txt"',
      ],
      { ok: 'ok.txt' },
      SMALL_JOB,
      'retry: { limit: 1, backoff: 100ms }',
    ),
    commandNode(
      'slow',
      [
        `echo "$SLURM_JOB_ID" >> ${dir}/slow-starts-${tag}`,
        'i=1',
        'while [ $i -le 8 ]; do echo "moe:progress $i/8 working"; sleep 1; i=$((i + 1)); done',
        'cat ${{ nodes.first.outputs.one }} > "$MOE_OUT/slow.txt"; echo slow >> "$MOE_OUT/slow.txt"',
      ],
      { slow: 'slow.txt' },
      SMALL_JOB,
      'timeout: 10m',
    ),
    commandNode(
      'last',
      'cat ${{ nodes.slow.outputs.slow }} ${{ nodes.flaky.outputs.ok }} > "$MOE_OUT/last.txt"',
      { last: 'last.txt' },
      SMALL_JOB,
    ),
  ];
  return `version: 1
name: slurm-${tag}
${clusterExecutor({ fromSource: true })}nodes:
${nodes.join('')}`;
}

interface Driver {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

function drive(file: string): Driver {
  const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, file], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let rest = '';
  child.stdout?.on('data', (c: Buffer) => {
    const parts = (rest + c.toString()).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr?.on('data', (c: Buffer) => lines.push(`stderr: ${c.toString()}`));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, lines, exited };
}

async function until(what: string, cond: () => boolean, ms: number, d?: Driver): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (d && d.child.exitCode !== null && d.child.signalCode === null) {
      assert.fail(`moe exited (${d.child.exitCode}) before ${what}\n${d.lines.slice(-20).join('\n')}`);
    }
    if (Date.now() > end)
      assert.fail(`timed out waiting for ${what}\n${d?.lines.slice(-20).join('\n') ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const queued = (name: string): string[] =>
  (spawnSync('squeue', ['-h', '-n', name, '-o', '%i %T'], { encoding: 'utf8' }).stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l !== '');

clusterTest('a pipeline runs through Slurm; a killed moe reattaches; Ctrl-C cancels', 240_000, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-slurm-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, pipelineText(dir, 'a'));

  const first = drive(file);
  const starts = join(dir, 'slow-starts-a');
  await until(
    'the slow node running as a Slurm job',
    () => existsSync(starts) && queued('moe-slow').some((l) => l.endsWith('RUNNING')),
    90_000,
    first,
  );
  first.child.kill('SIGKILL');
  await first.exited;
  assert.equal(queued('moe-slow').length, 1, 'the job outlives the killed moe');

  // gc now: the killed moe's lock is stale, so gc runs; the running job's folders must survive it.
  const gc = await collectGarbage(workspaceAt(join(dir, '.moe')));
  assert.ok(gc.ok, JSON.stringify(gc));
  const slow = gc.value.inUseByJobs.find((j) => j.node === 'slow');
  assert.equal(slow?.state, 'alive', JSON.stringify(gc.value.inUseByJobs));
  assert.equal(slow.folders.length, 4, "staging, scratch, checkpoint and the job's own folder");
  for (const f of slow.folders) assert.ok(existsSync(f), `gc deleted ${f}, which a running job uses`);

  const second = drive(file);
  const code = await second.exited;
  const out = second.lines.join('\n');
  assert.equal(code, 0, out);
  assert.match(out, /reattached to Slurm job/);
  assert.equal(readFileSync(starts, 'utf8').trim().split('\n').length, 1, 'slow ran once: no duplicate job');
  assert.match(out, /"type":"node-progress","node":"slow"/);
  assert.match(first.lines.join('\n') + out, /"type":"node-retry","node":"flaky"/);
  const done = second.lines
    .filter((l) => l.includes('"type":"node-done"'))
    .map((l) => (JSON.parse(l) as { node: string }).node);
  assert.ok(done.includes('slow') && done.includes('last'), out);

  // Ctrl-C: a new pipeline name and files, so slow runs again; the interrupted moe cancels its job.
  writeFileSync(file, pipelineText(dir, 'b'));
  const third = drive(file);
  await until(
    'the slow node running again',
    () => existsSync(join(dir, 'slow-starts-b')) && queued('moe-slow').length > 0,
    90_000,
    third,
  );
  third.child.kill('SIGINT');
  const code3 = await third.exited;
  assert.notEqual(code3, 0);
  await until('the cancelled job to leave the queue', () => queued('moe-slow').length === 0, 30_000, third);
});
