// A worker's jobs one after another, each with the environment it was given: the variables the worker
// has and a job's environment lacks are unset for that job, whatever the job before it lacked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShellSpawner } from '../../src/steps/command/spawner.js';

test("one worker's jobs each see their own environment: a variable unset for one job is back for the next that has it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-spawner-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The spawner's workers do not keep a process alive (they are unref'd): this test waits on them.
  const alive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(alive));
  const spawner = new ShellSpawner();
  const all = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  assert.ok(all['HOME'] !== undefined && all['PATH'] !== undefined, 'the test needs HOME and PATH');
  const { HOME: _home, ...noHome } = all;
  const { PATH: _path, ...noPath } = all;
  const runs: [string, Record<string, string>, Record<string, string> | undefined, string][] = [
    ['no HOME', noHome, undefined, `unset|${all['PATH']}|unset`],
    ['no HOME again', { ...noHome }, undefined, `unset|${all['PATH']}|unset`],
    ['all', all, undefined, `${all['HOME']}|${all['PATH']}|unset`],
    ['no HOME, with an extra variable', noHome, { EXTRA: 'x' }, `unset|${all['PATH']}|x`],
    ['no HOME, HOME as the extra variable', noHome, { HOME: '/h' }, `/h|${all['PATH']}|unset`],
    ['no PATH', noPath, undefined, `${all['HOME']}|unset|unset`],
    ['no HOME once more', noHome, undefined, `unset|${all['PATH']}|unset`],
  ];
  let worker: number | undefined;
  for (const [i, [what, env, extraEnv, expected]] of runs.entries()) {
    const out = join(dir, `${i}.txt`);
    const running = spawner.run({
      argv: [
        '/bin/sh',
        '-c',
        `printf '%s|%s|%s' "\${HOME-unset}" "\${PATH-unset}" "\${EXTRA-unset}" > '${out}'`,
      ],
      cwd: dir,
      env,
      extraEnv,
      logFile: join(dir, `${i}.log`),
    });
    assert.equal(await running.exit, 0, what);
    worker ??= running.group;
    assert.equal(running.group, worker, 'one worker runs every job');
    assert.equal(readFileSync(out, 'utf8'), expected, what);
  }
});
