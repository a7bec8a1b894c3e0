import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShellSpawner } from '../../src/steps/command/spawner.js';
import type { ShellJob } from '../../src/steps/command/spawner.js';
import { runInSession } from '../../src/steps/command/session.js';
import { tempFolder } from '../temp.js';

// `/bin/sh` is dash on Debian and Ubuntu but bash on Fedora, Arch and macOS: the worker shells must run
// the same lines under either.
for (const shell of ['/bin/dash', '/bin/bash'].filter((s) => existsSync(s))) {
  test(`worker shells under ${shell}: a run line's exit code, environment, directory and output`, async (t) => {
    const dir = tempFolder(t, 'moe-shells-');
    const spawner = new ShellSpawner(shell);
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', MOE_OUT: dir, GREETING: 'hello there' };
    const job = (run: string): ShellJob => ({
      argv: ['/bin/sh', '-c', run],
      cwd: dir,
      env,
      logFile: join(dir, 'node.log'),
    });
    const opts = { signal: new AbortController().signal, killGraceMs: 200, progress: (): void => undefined };
    const run = (j: ShellJob): Promise<void> => runInSession(spawner, j, opts);

    await run(job('echo "$GREETING" > "$MOE_OUT/out.txt"; pwd'));
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'hello there\n');
    assert.equal(readFileSync(join(dir, 'node.log'), 'utf8'), `${dir}\n`);
    // The job's parent is its worker, which names its two scratch files by its pid.
    await run(job('echo $PPID > ppid'));
    const ppid = readFileSync(join(dir, 'ppid'), 'utf8').trim();
    assert.ok(
      ['0', '1'].some((k) => existsSync(join(dir, `.job-${ppid}-${k}.out`))),
      `parent ${ppid} is not a worker`,
    );

    await assert.rejects(run(job('true; exit 7')), /exited with code 7/);
    await run(job('echo $$ > pid'));
    assert.match(readFileSync(join(dir, 'pid'), 'utf8'), /^\d+\n$/);
    await assert.rejects(run({ ...job(''), argv: ['/bin/sh', '-c', 'exit 3'] }), /exited with code 3/);
  });
}
