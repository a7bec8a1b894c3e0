import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs, { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Mode, OpenMode, PathLike } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { acquireLock } from '../../src/engine/lock.js';

/** Where a test's lock file goes: in a folder of its own, removed after the test. */
function lockFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'moe-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'lock');
}

test('a second holder is refused with the first holder’s pid; after release it gets the lock', async (t) => {
  const file = lockFile(t);
  const first = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(first.ok);
  // Another process's view: a lock held by a live process (this one) under another pid is simulated by
  // writing the holder as our parent, which is alive.
  first.value.release();
  writeFileSync(
    file,
    JSON.stringify({ pid: process.ppid, host: hostname(), command: 'moe run', since: 'then' }),
  );
  const second = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(!second.ok && second.error.reason === 'locked');
  assert.equal(second.error.holder.pid, process.ppid);
  rmSync(file);
  const third = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(third.ok);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
  third.value.release();
});

test('a lock left by a dead process is taken over', async (t) => {
  const file = lockFile(t);
  const child = spawn(process.execPath, ['-e', '0']);
  const deadPid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  writeFileSync(file, JSON.stringify({ pid: deadPid, host: hostname(), command: 'moe run', since: 'then' }));
  const taken = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(taken.ok, 'the stale lock was taken over');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
  taken.value.release();
});

test('a waiting holder gets the lock when the other releases it', async (t) => {
  const file = lockFile(t);
  writeFileSync(
    file,
    JSON.stringify({ pid: process.ppid, host: hostname(), command: 'moe run', since: 'then' }),
  );
  setTimeout(() => rmSync(file), 150);
  const waited = await acquireLock(file, { command: 'moe run', waitMs: 5000, pollMs: 20 });
  assert.ok(waited.ok);
  waited.value.release();
});

test('a lock taken on another host (a shared file system) is never taken over, even naming a pid gone here', async (t) => {
  const file = lockFile(t);
  const other = { pid: 2 ** 22 + 5, host: `not-${hostname()}`, command: 'moe run', since: 'then' };
  writeFileSync(file, JSON.stringify(other));
  const busy = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(!busy.ok && busy.error.reason === 'locked', 'a lock held on another machine was taken over');
  assert.equal(busy.error.holder.host, other.host);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).host, other.host);
});

test('a lock naming this process’s pid on this host that this process does not hold is stale: taken over', async (t) => {
  // moe restarted in a container (docker restart, a pod's container after an OOM kill) gets the pid and
  // host name it had: the lock the killed moe left names this very process, which cannot be its holder.
  const file = lockFile(t);
  writeFileSync(
    file,
    JSON.stringify({ pid: process.pid, host: hostname(), command: 'moe run', since: 'then' }),
  );
  const taken = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(taken.ok, 'the stale lock was taken over');
  assert.equal(taken.value.tookOverFrom?.since, 'then');
  // While this process holds it, it is held: a second acquire in the same process is refused.
  const again = await acquireLock(file, { command: 'moe gc', waitMs: 0 });
  assert.ok(!again.ok && again.error.reason === 'locked');
  taken.value.release();
  const after = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(after.ok && after.value.tookOverFrom === undefined);
  after.value.release();
});

test('a lock whose pid now belongs to another program (a reboot after a power loss) is stale: taken over', async (t) => {
  const file = lockFile(t);
  const mine = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(mine.ok);
  // The lock keeps the holder's command line, to tell it from a later process given the same pid.
  const written = JSON.parse(readFileSync(file, 'utf8')) as { cmdline?: string };
  assert.equal(written.cmdline, readFileSync('/proc/self/cmdline', 'latin1'));
  mine.value.release();
  // Our parent is alive; a lock naming it with its own command line is held, with another one is stale.
  const parent = readFileSync(`/proc/${process.ppid}/cmdline`, 'latin1');
  const holder = (cmdline: string): string =>
    JSON.stringify({ pid: process.ppid, host: hostname(), command: 'moe run', since: 'then', cmdline });
  writeFileSync(file, holder(parent));
  const busy = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(!busy.ok && busy.error.reason === 'locked');
  writeFileSync(file, holder(`node\0/opt/moe/bin/moe.js\0run\0other.yaml\0`));
  const taken = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  assert.ok(taken.ok, 'the stale lock was taken over');
  taken.value.release();
});

test('a lock is never seen half-written: a run starting while another writes its lock is refused, not let in beside it', async (t) => {
  // Two `moe run`s started together: the first has created the lock file and not yet written its pid
  // when the second looks. An empty lock then read as one a crash left, was taken over, and both ran.
  const file = lockFile(t);
  const dir = join(file, '..');
  const out = join(dir, 'second.txt');
  const child = join(dir, 'second.mjs');
  writeFileSync(
    child,
    `const { acquireLock } = await import(${JSON.stringify(new URL('../../src/engine/lock.ts', import.meta.url).href)});
const r = await acquireLock(${JSON.stringify(file)}, { command: 'moe run', waitMs: 0 });
process.stdout.write(r.ok ? 'got' : r.error.reason);
setTimeout(() => process.exit(0), 3000);`,
  );
  // The second run looks the moment the lock file first appears under its name, and keeps what it got.
  const second = (): void => {
    execFileSync('sh', [
      '-c',
      `node --import tsx "$1" > "$2" & while [ ! -s "$2" ]; do sleep 0.02; done`,
      'sh',
      child,
      out,
    ]);
  };
  const real = { open: fs.openSync, link: fs.linkSync };
  let looked = false;
  const look = (path: unknown): void => {
    if (!looked && path === file) {
      looked = true;
      second();
    }
  };
  fs.openSync = ((path: PathLike, flags: OpenMode = 'r', mode?: Mode | null) => {
    const fd = real.open(path, flags, mode);
    look(path);
    return fd;
  }) as typeof fs.openSync;
  fs.linkSync = ((from: PathLike, to: PathLike) => {
    real.link(from, to);
    look(to);
  }) as typeof fs.linkSync;
  syncBuiltinESMExports();
  let first;
  try {
    first = await acquireLock(file, { command: 'moe run', waitMs: 0 });
  } finally {
    fs.openSync = real.open;
    fs.linkSync = real.link;
    syncBuiltinESMExports();
  }
  assert.ok(looked, 'the second run looked while the first took the lock');
  const got = [first.ok, readFileSync(out, 'utf8') === 'got'];
  assert.equal(
    got.filter(Boolean).length,
    1,
    `both runs took the lock (first: ${first.ok}, second: ${got[1]})`,
  );
  if (first.ok) first.value.release();
});
