import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandStep } from '../../src/steps/command/index.js';
import { ShellSpawner, execLast } from '../../src/steps/command/spawner.js';
import type { RunningJob, ShellJob } from '../../src/steps/command/spawner.js';
import type { CommandWith } from '../../src/steps/command/schema.js';
import type { ProgressUpdate, StepContext, StepDefinition } from '../../src/contract/step.js';
import { capturingLog } from './context.js';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { lookupOf, summary } from '../pipeline/fixtures.js';

function context(w: CommandWith, signal = new AbortController().signal, withLog = false) {
  const dir = mkdtempSync(join(tmpdir(), 'moe-command-'));
  const lines: string[] = [];
  const progress: ProgressUpdate[] = [];
  const ctx: StepContext<CommandWith> = {
    nodeId: 'n',
    with: w,
    outDir: join(dir),
    checkpointDir: dir,
    sharedCacheDir: dir,
    tmpDir: dir,
    pipelineDir: dir,
    attempt: 1,
    signal,
    log: capturingLog(lines),
    progress: (p) => progress.push(p),
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', MOE_OUT: dir, MOE_KILL_GRACE_MS: '200' },
    gpus: [],
    resources: { cpu: 1, memoryBytes: undefined, gpu: 0 },
    ...(withLog ? { logFile: join(dir, 'node.log') } : {}),
  };
  return { ctx, dir, lines, progress, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('run: a shell command writes into $MOE_OUT; stdout, stderr and progress lines reach the log', async () => {
  const c = context({
    run: 'echo out; echo err >&2; echo "moe:progress 2/4 halfway"; echo hi > "$MOE_OUT/x.txt"',
  });
  try {
    await commandStep.run(c.ctx);
    assert.equal(readFileSync(join(c.dir, 'x.txt'), 'utf8'), 'hi\n');
    assert.deepEqual(c.lines, ['info out', 'warn err']);
    assert.deepEqual(c.progress, [{ done: 2, total: 4, message: 'halfway' }]);
  } finally {
    c.done();
  }
});

test('argv runs the program without a shell: metacharacters stay literal', async () => {
  const c = context({ argv: ['printf', '%s', '$(touch pwned); `id`'] });
  try {
    await commandStep.run(c.ctx);
    assert.deepEqual(c.lines, ['info $(touch pwned); `id`']);
    assert.ok(!existsSync(join(c.dir, 'pwned')));
  } finally {
    c.done();
  }
});

test('a failing command rejects with its exit code and last stderr line', async () => {
  const c = context({ run: 'echo "bad input" >&2; exit 3' });
  try {
    await assert.rejects(commandStep.run(c.ctx), { message: 'command exited with code 3: bad input' });
  } finally {
    c.done();
  }
});

test('on abort the whole process group gets SIGTERM, then SIGKILL when it ignores it', async () => {
  const controller = new AbortController();
  // The child ignores TERM; its grandchild `sleep` must die too.
  const c = context({ run: 'trap "" TERM; sleep 30 & echo started; wait' }, controller.signal);
  try {
    const started = Date.now();
    const running = commandStep.run(c.ctx);
    while (!c.lines.includes('info started')) await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error('interrupted'));
    await assert.rejects(running, /aborted/);
    const took = Date.now() - started;
    assert.ok(took < 5000, `stopped in ${took} ms`);
  } finally {
    c.done();
  }
});

test('outputs and inputs come from the with block; the schema requires run or argv', () => {
  assert.deepEqual(commandStep.outputs({ run: 'x', outputs: { a: 'a.txt', b: 'dir' } }), {
    a: 'a.txt',
    b: 'dir',
  });
  assert.deepEqual(commandStep.outputs({ run: 'x' }), {});
  assert.deepEqual(commandStep.inputs?.({ run: 'x', inputs: ['prep.py'] }), ['prep.py']);
  assert.deepEqual(commandStep.shellFields, ['run']);
});

test("`env:` names are refused at the key when moe sets them for the command or they are no variable's name", () => {
  const text = (env: string) =>
    `version: 1\nnodes:\n  a:\n    step: command\n    with:\n      run: echo\n      env:\n${env}`;
  const problems = (env: string) => {
    const r = loadPipelineText('/p/p.yaml', text(env), {
      steps: lookupOf([commandStep as unknown as StepDefinition]),
    });
    return r.ok ? [] : r.error.diagnostics.map(summary);
  };
  // $MOE_OUT from `env:` sent the outputs elsewhere, and the node failed "missing output".
  for (const name of ['MOE_OUT', 'MOE_NODE', 'MOE_CHECKPOINT_DIR', 'MOE_TMP', 'MOE_METRICS'])
    assert.deepEqual(problems(`        ${name}: /x\n`), [
      `p.yaml:8:9: error: \`${name}\` cannot be used as a name in \`nodes.a.with.env\`: moe sets it for every command ($MOE_OUT, $MOE_NODE, $MOE_CHECKPOINT_DIR, $MOE_TMP, $MOE_METRICS): use another name`,
    ]);
  // It held the GPUs the scheduler hands out: a node could take one another node was given.
  assert.deepEqual(problems('        CUDA_VISIBLE_DEVICES: "0"\n'), [
    "p.yaml:8:9: error: `CUDA_VISIBLE_DEVICES` cannot be used as a name in `nodes.a.with.env`: moe sets it to the GPUs it hands the node, none unless the node asks (`resources: { gpu: N }`), so that two nodes never share one: ask for GPUs there, and choose the machine's with `--gpus` or CUDA_VISIBLE_DEVICES when starting moe",
  ]);
  const form = 'use letters, digits and `_`, not starting with a digit (an environment variable name)';
  assert.deepEqual(problems('        "X=Y": "1"\n        "": "2"\n        1A: "3"\n'), [
    `p.yaml:8:9: error: \`X=Y\` is not a valid name in \`nodes.a.with.env\`: ${form}`,
    `p.yaml:9:9: error: an empty key is not a valid name in \`nodes.a.with.env\`: ${form}`,
    `p.yaml:10:9: error: \`1A\` is not a valid name in \`nodes.a.with.env\`: ${form}`,
  ]);
  // moe's settings that a command may change, and lower-case names, stay allowed.
  assert.deepEqual(problems('        MOE_KILL_GRACE_MS: "100"\n        http_proxy: h\n        _X1: y\n'), []);
});

test('with a log file, the job runs through the shared shell: output lands in the log, progress is read back', async () => {
  const c = context(
    { run: 'echo "moe:progress 1/2 one"; sleep 0.4; echo out; echo err >&2; echo hi > "$MOE_OUT/x.txt"' },
    new AbortController().signal,
    true,
  );
  try {
    await commandStep.run(c.ctx);
    assert.equal(readFileSync(join(c.dir, 'x.txt'), 'utf8'), 'hi\n');
    assert.equal(readFileSync(join(c.dir, 'node.log'), 'utf8'), 'moe:progress 1/2 one\nout\nerr\n');
    assert.deepEqual(c.progress, [{ done: 1, total: 2, message: 'one' }]);
  } finally {
    c.done();
  }
});

test("through the shared shell, a failed attempt reports its own last line, not an earlier attempt's in the same log", async () => {
  const c = context({ run: 'echo first; exit 3' }, new AbortController().signal, true);
  try {
    await assert.rejects(commandStep.run(c.ctx), { message: 'command exited with code 3: first' });
    // The next attempts append to the same log.
    const again = (run: string) => commandStep.run({ ...c.ctx, with: { run }, attempt: 2 });
    await assert.rejects(again('echo second; exit 4'), { message: 'command exited with code 4: second' });
    await assert.rejects(again('exit 5'), { message: 'command exited with code 5' });
    assert.equal(readFileSync(join(c.dir, 'node.log'), 'utf8'), 'first\nsecond\n');
  } finally {
    c.done();
  }
});

test('through the shared shell, a failure reports its exit code and last line; an abort stops the whole session', async () => {
  const failing = context({ run: 'echo "bad input" >&2; exit 3' }, new AbortController().signal, true);
  try {
    await assert.rejects(commandStep.run(failing.ctx), { message: 'command exited with code 3: bad input' });
  } finally {
    failing.done();
  }
  const controller = new AbortController();
  const c = context(
    { run: 'trap "" TERM; sleep 30 & echo started; touch "$MOE_OUT/started"; wait' },
    controller.signal,
    true,
  );
  try {
    const started = Date.now();
    const running = commandStep.run(c.ctx);
    while (!existsSync(join(c.dir, 'started'))) await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error('interrupted'));
    await assert.rejects(running, /aborted/);
    assert.ok(Date.now() - started < 5000);
    assert.equal(readFileSync(join(c.dir, 'node.log'), 'utf8'), 'started\n', 'the output is kept');
  } finally {
    c.done();
  }
});

test('through the worker shell, the job sees exactly its own environment and directory', async () => {
  const first = context(
    { run: 'echo "[$MOE_OUT] [${HOME-unset}] [$(pwd)]" > "$MOE_OUT/env.txt"' },
    new AbortController().signal,
    true,
  );
  const second = context(
    { run: 'echo "[$MOE_OUT] [$EXTRA]" > "$MOE_OUT/env.txt"', env: { EXTRA: "it's" } },
    new AbortController().signal,
    true,
  );
  try {
    await commandStep.run(first.ctx);
    // HOME is in moe's environment but not in the step's: the job must not see it.
    assert.equal(readFileSync(join(first.dir, 'env.txt'), 'utf8'), `[${first.dir}] [unset] [${first.dir}]\n`);
    await commandStep.run({
      ...second.ctx,
      env: { ...process.env, ...second.ctx.env } as Record<string, string>,
    });
    assert.equal(readFileSync(join(second.dir, 'env.txt'), 'utf8'), `[${second.dir}] [it's]\n`);
  } finally {
    first.done();
    second.done();
  }
});

test('through the worker shell, a line sees what `sh -c` would show it: $0, $#, $-, traps, variables, $?', async () => {
  const probe =
    'printf "%s|" "$0" "$#" "$-" "${OLDPWD-unset}" "$(trap)" "${moe_watchdog-unset}" "$?" > "$MOE_OUT/probe.txt"';
  const c = context({ run: probe }, new AbortController().signal, true);
  const direct = mkdtempSync(join(tmpdir(), 'moe-command-'));
  try {
    await commandStep.run(c.ctx);
    spawnSync('/bin/sh', ['-c', probe], { cwd: c.dir, env: { ...c.ctx.env, MOE_OUT: direct } });
    assert.equal(
      readFileSync(join(c.dir, 'probe.txt'), 'utf8'),
      readFileSync(join(direct, 'probe.txt'), 'utf8'),
    );
  } finally {
    c.done();
    rmSync(direct, { recursive: true, force: true });
  }
});

test('through the worker shell, $$ and a sourced file see a shell of the job’s own; $PPID is the worker', async () => {
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const c = context(
    { run: 'echo $$ > "$MOE_OUT/pid"; . ./sourced.sh; echo $PPID > "$MOE_OUT/ppid"' },
    new AbortController().signal,
    true,
  );
  const plain = context({ run: 'echo $PPID > "$MOE_OUT/ppid"' }, new AbortController().signal, true);
  try {
    writeFileSync(join(c.dir, 'sourced.sh'), 'echo $$ > "$MOE_OUT/sourced-pid"\n');
    await commandStep.run(c.ctx);
    await commandStep.run(plain.ctx);
    for (const file of ['pid', 'sourced-pid']) {
      const pid = Number(readFileSync(join(c.dir, file), 'utf8'));
      assert.ok(pid > 0 && !alive(pid), `${file}: ${pid} is the worker's pid, not the job's shell`);
    }
    // The worker's scratch files are named by its pid: the job's parent is the worker, as under `sh -c`.
    for (const dir of [c.dir, plain.dir]) {
      const ppid = readFileSync(join(dir, 'ppid'), 'utf8').trim();
      assert.ok(
        ['0', '1'].some((k) => existsSync(join(dir, `.job-${ppid}-${k}.out`))),
        `parent ${ppid} is not a worker`,
      );
    }
  } finally {
    c.done();
    plain.done();
  }
});

test('through the worker shell, exit codes are the line’s; a syntax error fails only its job', async () => {
  const exits = context({ run: 'true; exit 7' }, new AbortController().signal, true);
  const broken = context({ run: 'if true; echo "$MOE_OUT"' }, new AbortController().signal, true);
  const next = context({ run: 'echo ok > "$MOE_OUT/ok.txt"' }, new AbortController().signal, true);
  try {
    await assert.rejects(commandStep.run(exits.ctx), /exited with code 7/);
    await assert.rejects(commandStep.run(broken.ctx), /exited with code 2: .*syntax error/i);
    await commandStep.run(next.ctx);
    assert.equal(readFileSync(join(next.dir, 'ok.txt'), 'utf8'), 'ok\n');
  } finally {
    exits.done();
    broken.done();
    next.done();
  }
});

test('through the worker shell, argv never reaches a shell builtin, and a job runs after an aborted one', async () => {
  const builtin = context(
    { argv: ['eval', 'echo hacked > "$MOE_OUT/x"'] },
    new AbortController().signal,
    true,
  );
  try {
    await assert.rejects(commandStep.run(builtin.ctx), /exited with code 127/);
    assert.ok(!existsSync(join(builtin.dir, 'x')));
  } finally {
    builtin.done();
  }
  const controller = new AbortController();
  const aborted = context({ run: 'touch "$MOE_OUT/started"; sleep 30' }, controller.signal, true);
  try {
    const running = commandStep.run(aborted.ctx);
    while (!existsSync(join(aborted.dir, 'started'))) await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error('interrupted'));
    await assert.rejects(running, /aborted/);
  } finally {
    aborted.done();
  }
  const after = context({ run: 'kill -TERM $$' }, new AbortController().signal, true);
  const next = context({ run: 'echo ok > "$MOE_OUT/ok.txt"' }, new AbortController().signal, true);
  try {
    await assert.rejects(commandStep.run(after.ctx), /was killed by signal 15/);
    await commandStep.run(next.ctx);
    assert.equal(readFileSync(join(next.dir, 'ok.txt'), 'utf8'), 'ok\n');
  } finally {
    after.done();
    next.done();
  }
});

test('through the worker shell, a silent job leaves no log file; output joins a log that exists', async () => {
  const silent = context({ run: 'true' }, new AbortController().signal, true);
  try {
    await commandStep.run(silent.ctx);
    // The worker's (empty) scratch file stays for its next job in this folder, until moe exits.
    assert.deepEqual(
      readdirSync(silent.dir).filter((n) => !/^\.job-\d+-\d\.out$/.test(n)),
      [],
      'no log file',
    );
  } finally {
    silent.done();
  }
  const retried = context({ run: 'echo second' }, new AbortController().signal, true);
  try {
    writeFileSync(join(retried.dir, 'node.log'), 'first\n');
    await commandStep.run(retried.ctx);
    await commandStep.run(retried.ctx);
    assert.equal(readFileSync(join(retried.dir, 'node.log'), 'utf8'), 'first\nsecond\nsecond\n');
  } finally {
    retried.done();
  }
});

test('a job queued behind a running one starts on the same worker as that job ends; each log gets its own output', async () => {
  const first = context(
    { run: 'echo $PPID > "$MOE_OUT/ppid"; echo one; sleep 0.3; echo one again' },
    new AbortController().signal,
    true,
  );
  const second = context(
    { run: 'echo $PPID > "$MOE_OUT/ppid"; date +%s%N > "$MOE_OUT/start"; echo two' },
    new AbortController().signal,
    true,
  );
  try {
    const events: string[] = [];
    let leadStarted: (job: unknown) => void = () => undefined;
    const lead = new Promise<unknown>((r) => (leadStarted = r));
    const a = commandStep.run({
      ...first.ctx,
      relay: {
        after: undefined,
        started: (job) => (events.push('a started'), leadStarted(job)),
        withdrawn: () => undefined,
      },
    });
    const b = commandStep.run({
      ...second.ctx,
      relay: { after: await lead, started: () => events.push('b started'), withdrawn: () => undefined },
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(events, ['a started'], 'b waits for a');
    await Promise.all([a, b]);
    assert.deepEqual(events, ['a started', 'b started']);
    const ppid = (c: { dir: string }): string => readFileSync(join(c.dir, 'ppid'), 'utf8');
    assert.equal(ppid(first), ppid(second), 'the same worker ran both');
    assert.equal(readFileSync(join(first.dir, 'node.log'), 'utf8'), 'one\none again\n');
    assert.equal(readFileSync(join(second.dir, 'node.log'), 'utf8'), 'two\n');
  } finally {
    first.done();
    second.done();
  }
});

test('a job queued behind one that is aborted never runs, and fails as aborted too', async () => {
  const controller = new AbortController();
  const first = context({ run: 'touch "$MOE_OUT/started"; sleep 30' }, controller.signal, true);
  const second = context({ run: 'touch "$MOE_OUT/ran"' }, controller.signal, true);
  try {
    let bStarted = false;
    let leadStarted: (job: unknown) => void = () => undefined;
    const lead = new Promise<unknown>((r) => (leadStarted = r));
    const a = commandStep.run({
      ...first.ctx,
      relay: { after: undefined, started: leadStarted, withdrawn: () => undefined },
    });
    const b = commandStep.run({
      ...second.ctx,
      relay: { after: await lead, started: () => (bStarted = true), withdrawn: () => undefined },
    });
    while (!existsSync(join(first.dir, 'started'))) await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error('interrupted'));
    // Both handled at once: b may reject before a does.
    await Promise.all([assert.rejects(a, /aborted/), assert.rejects(b, /aborted/)]);
    assert.ok(!bStarted && !existsSync(join(second.dir, 'ran')), 'the queued job never ran');
  } finally {
    first.done();
    second.done();
  }
});

test("through the worker shell, a line that is one program found on PATH is exec'd by its subshell; builtins, exit codes and messages stay the line's", async () => {
  const c = context({ run: `sh -c 'echo $PPID' > "$MOE_OUT/ppid"` }, new AbortController().signal, true);
  const tab = context(
    { run: String.raw`echo 'a\tb' > "$MOE_OUT/echo.txt"` },
    new AbortController().signal,
    true,
  );
  const code = context({ run: `sh -c 'exit 3'` }, new AbortController().signal, true);
  const missing = context({ run: 'moe-no-such-program "$MOE_OUT"' }, new AbortController().signal, true);
  const direct = mkdtempSync(join(tmpdir(), 'moe-command-'));
  try {
    await commandStep.run(c.ctx);
    const ppid = readFileSync(join(c.dir, 'ppid'), 'utf8').trim();
    // Where /bin/sh takes the subshell path (dash); bash runs each line with an `sh -c` of its own.
    const subshells = spawnSync('/bin/sh', ['-c', '( set +s; PPID=1 ) 2>/dev/null']).status === 0;
    if (subshells) {
      assert.ok(
        ['0', '1'].some((k) => existsSync(join(c.dir, `.job-${ppid}-${k}.out`))),
        `the program's parent ${ppid} is the worker, not a subshell forked for it`,
      );
    }
    // echo is the shell's own (dash's turns \t into a tab, /bin/echo does not): never exec'd.
    await commandStep.run(tab.ctx);
    spawnSync('/bin/sh', ['-c', tab.ctx.with.run ?? ''], { env: { ...tab.ctx.env, MOE_OUT: direct } });
    assert.equal(
      readFileSync(join(tab.dir, 'echo.txt'), 'utf8'),
      readFileSync(join(direct, 'echo.txt'), 'utf8'),
    );
    await assert.rejects(commandStep.run(code.ctx), /exited with code 3/);
    await assert.rejects(
      commandStep.run(missing.ctx),
      /exited with code 127: .*moe-no-such-program: (command )?not found/,
    );
  } finally {
    for (const x of [c, tab, code, missing]) x.done();
    rmSync(direct, { recursive: true, force: true });
  }
});

test("execLast: only a single program on PATH with plain words, quotes, variables and redirections is exec'd", () => {
  const exec = `cat '/a b' "$MOE_OUT/x" "\${Y}" 2> err < in >> "$MOE_OUT/out.txt"`;
  assert.equal(execLast(exec), `if command -v cat >/dev/null; then exec ${exec}; fi; ${exec}`);
  for (const line of [
    'echo hi > o',
    'cat a | wc -l',
    'cat a; cat b',
    'cat a && cat b',
    'FOO=1 cat a',
    'cat $(ls)',
    'cat `ls`',
    'cat "${X:-y}"',
    'cat "$@"',
    'cat a &',
    'cat a # comment',
    './prog a',
    '/bin/cat a',
    'cat a\ncat b',
    'cat *.txt',
    'cat ~/x',
    'exec cat a',
    'command cat a',
  ])
    assert.equal(execLast(line), line, line);
});

/** Runs `lead`, then `queued` behind it on the same worker with a halt file; what became of the second. */
async function queuedWithHalt(
  lead: string,
  halt: (file: string) => void,
): Promise<{ started: boolean; withdrawn: boolean; ran: boolean; outcome: 'ok' | string }> {
  const first = context({ run: lead }, new AbortController().signal, true);
  const second = context({ run: 'touch "$MOE_OUT/ran"' }, new AbortController().signal, true);
  const haltFile = join(second.dir, '.halt');
  try {
    let leadStarted: (job: unknown) => void = () => undefined;
    const leadJob = new Promise<unknown>((r) => (leadStarted = r));
    let started = false;
    let withdrawn = false;
    const a = commandStep.run({
      ...first.ctx,
      relay: { after: undefined, started: leadStarted, withdrawn: () => undefined },
    });
    const b = commandStep.run({
      ...second.ctx,
      relay: {
        after: await leadJob,
        haltFile,
        started: () => (started = true),
        withdrawn: () => (withdrawn = true),
      },
    });
    halt(haltFile);
    await a.catch(() => undefined);
    const outcome = await b.then(
      () => 'ok' as const,
      (e: Error) => e.message,
    );
    return { started, withdrawn, ran: existsSync(join(second.dir, 'ran')), outcome };
  } finally {
    first.done();
    second.done();
  }
}

test('a job queued with a halt file runs after a job that succeeded, while the file does not exist', async () => {
  const r = await queuedWithHalt('sleep 0.2', () => undefined);
  assert.deepEqual(r, { started: true, withdrawn: false, ran: true, outcome: 'ok' });
});

test('a job queued with a halt file never runs after a job that failed: it is withdrawn', async () => {
  const r = await queuedWithHalt('sleep 0.2; exit 3', () => undefined);
  assert.equal(r.ran, false, 'the queued job never ran');
  assert.deepEqual([r.started, r.withdrawn], [false, true]);
  assert.match(r.outcome, /withdrawn before it started/);
});

test('a job queued with a halt file never runs once the file exists, though the job before it succeeded', async () => {
  const r = await queuedWithHalt('sleep 0.2', (file) => writeFileSync(file, ''));
  assert.equal(r.ran, false, 'the queued job never ran');
  assert.deepEqual([r.started, r.withdrawn], [false, true]);
});

test(
  'execLast reads a long line that is not one simple command at once (no backtracking blow-up)',
  { timeout: 10_000 },
  () => {
    // Multi-line `run:` blocks like this one took minutes under the first, single-expression matcher.
    const loop = 'while [ $i -le 8 ]; do echo "moe:progress $i/8 working"; sleep 1; i=$((i + 1)); done';
    const lines = [
      `echo "$SLURM_JOB_ID" >> /tmp/some/where/slow-starts-a\ni=1\n${loop}\ncat '/x/one.txt' > "$MOE_OUT/slow.txt"`,
      `${'python3 train.py --config /work/configs/a-long-path/config.json --seed 1 '.repeat(6)}| tee log`,
      `${'cat a_file.txt '.repeat(40)}$(date)`,
    ];
    for (const line of lines) assert.equal(execLast(line), line);
    const long = `cat ${'word '.repeat(200)}> "$MOE_OUT/out.txt"`;
    assert.equal(execLast(long), `if command -v cat >/dev/null; then exec ${long}; fi; ${long}`);
  },
);

test('through the worker shell, a job line longer than a pipe writes at once runs as a short one does', async () => {
  // A line past 4096 bytes goes through the stream rather than one write; both reach the same worker.
  const long = 'x'.repeat(10_000);
  for (const value of ['short', long]) {
    const c = context(
      { run: 'printf %s "$BIG" > "$MOE_OUT/big"; echo said', env: { BIG: value } },
      new AbortController().signal,
      true,
    );
    try {
      await commandStep.run(c.ctx);
      assert.equal(readFileSync(join(c.dir, 'big'), 'utf8'), value);
      assert.equal(readFileSync(join(c.dir, 'node.log'), 'utf8'), 'said\n');
    } finally {
      c.done();
    }
  }
});

test("the job's environment is the node's with MOE_METRICS, and `env:` over both, through a worker or spawned", async () => {
  for (const direct of [false, true]) {
    const c = context(
      {
        run: 'echo "[$MOE_OUT] [$MOE_METRICS] [$MOE_KILL_GRACE_MS] [$EXTRA]" > "$MOE_OUT/env.txt"',
        env: { MOE_KILL_GRACE_MS: '300', EXTRA: 'x' },
      },
      new AbortController().signal,
      !direct,
    );
    try {
      await commandStep.run(c.ctx);
      assert.equal(
        readFileSync(join(c.dir, 'env.txt'), 'utf8'),
        `[${c.dir}] [${join(c.dir, 'moe-metrics.json')}] [300] [x]\n`,
        direct ? 'spawned' : 'through a worker',
      );
    } finally {
      c.done();
    }
  }
});

/** Runs `lead`, then a job queued behind it that may be started elsewhere; `then` gets the move. */
async function queuedMovable(
  lead: string,
  then: (move: () => boolean, started: () => boolean) => Promise<boolean>,
): Promise<{ moved: boolean; runs: number; sameWorker: boolean; outcome: 'ok' | string }> {
  const first = context({ run: `echo $PPID > "$MOE_OUT/ppid"; ${lead}` }, new AbortController().signal, true);
  const second = context(
    { run: 'echo x >> "$MOE_OUT/ran"; echo $PPID > "$MOE_OUT/ppid"' },
    new AbortController().signal,
    true,
  );
  try {
    let leadStarted: (job: unknown) => void = () => undefined;
    const leadJob = new Promise<unknown>((r) => (leadStarted = r));
    let queued: (move: () => boolean) => void = () => undefined;
    const movable = new Promise<() => boolean>((r) => (queued = r));
    let started = false;
    const a = commandStep.run({
      ...first.ctx,
      relay: { after: undefined, started: leadStarted, withdrawn: () => undefined },
    });
    const b = commandStep.run({
      ...second.ctx,
      relay: {
        after: await leadJob,
        haltFile: join(second.dir, '.halt'),
        started: () => (started = true),
        withdrawn: () => undefined,
        queued,
      },
    });
    const moved = await then(await movable, () => started);
    const outcome = await b.then(
      () => 'ok' as const,
      (e: Error) => e.message,
    );
    await a;
    // Time for the lead's worker to reach the queued line after the lead's job.
    await new Promise((r) => setTimeout(r, 200));
    const ppid = (c: { dir: string }): string => readFileSync(join(c.dir, 'ppid'), 'utf8');
    const runs = readFileSync(join(second.dir, 'ran'), 'utf8').split('\n').filter(Boolean).length;
    return { moved, runs, sameWorker: ppid(first) === ppid(second), outcome };
  } finally {
    first.done();
    second.done();
  }
}

test('a queued job its worker has not started is started elsewhere at once, and runs once', async () => {
  const r = await queuedMovable('sleep 1', async (move, started) => {
    assert.equal(started(), false, 'queued behind the running job');
    const moved = move();
    assert.equal(started(), true, 'started at once elsewhere');
    assert.equal(move(), false, 'moved once');
    return moved;
  });
  assert.deepEqual(r, { moved: true, runs: 1, sameWorker: false, outcome: 'ok' });
});

test('a queued job its worker has started stays there: it is not started elsewhere too', async () => {
  const r = await queuedMovable('sleep 0.1', async (move, started) => {
    while (!started()) await new Promise((res) => setTimeout(res, 10));
    return move();
  });
  assert.deepEqual(r, { moved: false, runs: 1, sameWorker: true, outcome: 'ok' });
});

test('a queued job whose worker finds it marked moved (the mark made as its lead ended) is started by moe then, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-moved-'));
  // The spawner's workers do not keep a process alive (they are unref'd): this test waits on them.
  const alive = setInterval(() => undefined, 1000);
  try {
    const spawner = new ShellSpawner();
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
    const job = (run: string, name: string): ShellJob => ({
      argv: ['/bin/sh', '-c', run],
      cwd: dir,
      env,
      logFile: join(dir, `${name}.log`),
    });
    const a = spawner.run(job('sleep 0.3', 'a'));
    let queued: RunningJob | undefined;
    let started = 0;
    const b = spawner.run(job('echo x >> b.ran', 'b'), {
      after: a,
      haltFile: join(dir, '.halt'),
      onStart: () => (started += 1),
      onQueued: (j) => (queued = j),
    });
    assert.ok(queued !== undefined && !b.started, 'queued behind a');
    // What startElsewhere leaves when the lead's end came before it could tell: the mark alone.
    writeFileSync(`${b.output}.moved`, '');
    assert.equal(await a.exit, 0);
    assert.equal(await b.exit, 0);
    assert.equal(started, 1);
    assert.equal(readFileSync(join(dir, 'b.ran'), 'utf8'), 'x\n', 'ran once');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.moved')),
      [],
      'the mark is gone',
    );
  } finally {
    clearInterval(alive);
    rmSync(dir, { recursive: true, force: true });
  }
});
