// A run that takes over the lock of a moe that died first stops the jobs that moe left running in the
// workspace (found by MOE_OUT in their environment), and leaves everything else alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { workerMark } from '../../src/util/process-group.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a run taking over a dead moe’s lock first stops that moe’s jobs in the workspace, and only those', async (t) => {
  const rig = new Rig();
  const other = new Rig();
  t.after(() => {
    rig.cleanup();
    other.cleanup();
  });
  const job = (ws: string, extra: Record<string, string> = {}) => {
    const child = spawn('/bin/sh', ['-c', 'trap "" TERM; sleep 30'], {
      env: { PATH: process.env['PATH'], MOE_OUT: join(ws, 'staging', 'abc-1-1'), ...extra },
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    return child.pid!;
  };
  const left = job(rig.ws.root);
  const slurm = job(rig.ws.root, { SLURM_JOB_ID: '7' });
  const elsewhere = job(other.ws.root);
  t.after(() => {
    for (const pid of [left, slurm, elsewhere]) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
  });
  // The lock of a moe that no longer exists.
  mkdirSync(rig.ws.root, { recursive: true });
  writeFileSync(
    rig.ws.lockFile,
    JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), command: 'moe run', since: 'then' }),
  );
  let seenAlive: boolean | undefined;
  rig.behaviours.set('a', () => {
    seenAlive = alive(left);
  });
  const summary = await rig.run(pipelineOf(rig.dir, { a: { with: { content: 'A' } } }), {
    env: { PATH: process.env['PATH'], MOE_KILL_GRACE_MS: '300' },
  });
  assert.equal(summary.status, 'succeeded');
  assert.equal(seenAlive, false, 'the node ran while the dead moe’s job was still running');
  assert.equal(alive(slurm), true, 'a Slurm job was stopped');
  assert.equal(alive(elsewhere), true, 'a job of another workspace was stopped');
});

/** Alive and not a zombie (an orphan's zombie waits for init to reap it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

test('a run taking over a dead moe’s lock also stops that moe’s command workers and their subshells, found by their arguments', async (t) => {
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const deadPid = 2 ** 22 + 19;
  const pidFile = join(rig.dir, 'subshell.pid');
  // A worker shell as moe starts one, running a shell line's subshell that ignores SIGTERM: neither has
  // MOE_OUT in its environment, only the worker's arguments say whose they are.
  const worker = (owner: number, file: string) => {
    const child = spawn('/bin/sh', ['-s', ...workerMark(owner)], {
      env: { PATH: process.env['PATH'] },
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.stdin.end(
      `( trap "" TERM; while :; do sleep 0.1; done ) & echo $! > '${file}'; trap "" TERM; wait\n`,
    );
    child.unref();
    return child.pid!;
  };
  const dead = worker(deadPid, pidFile);
  const living = worker(process.pid, join(rig.dir, 'other.pid'));
  t.after(() => {
    for (const pid of [dead, living]) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
  });
  while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '')
    await new Promise((r) => setTimeout(r, 10));
  const subshell = Number(readFileSync(pidFile, 'utf8'));
  mkdirSync(rig.ws.root, { recursive: true });
  writeFileSync(
    rig.ws.lockFile,
    JSON.stringify({ pid: deadPid, host: hostname(), command: 'moe run', since: 'then' }),
  );
  let seenAlive: boolean | undefined;
  rig.behaviours.set('a', () => {
    seenAlive = running(subshell) || running(dead);
  });
  const summary = await rig.run(pipelineOf(rig.dir, { a: { with: { content: 'A' } } }), {
    env: { PATH: process.env['PATH'], MOE_KILL_GRACE_MS: '300' },
  });
  assert.equal(summary.status, 'succeeded');
  assert.equal(seenAlive, false, 'the node ran while the dead moe’s worker or its subshell was running');
  assert.equal(alive(living), true, 'a worker of a moe that is alive was stopped');
});
