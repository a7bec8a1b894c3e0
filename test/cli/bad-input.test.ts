// What a user sees when the input or the machine is wrong: a message that says what to do, a non-zero
// exit code, no stack trace, and nothing written where it should not be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { commandNode, helloPipeline, moe, tempDir, writePipeline } from './helpers.js';

const STACK = /\s+at .*\.js:\d+|node:internal|Node\.js v\d/;

test('a workspace that cannot be created or written stops a run with what to do, not a stack trace', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, helloPipeline('ws'));
  // A file where the workspace's folder would be: even root cannot create a folder under it (ENOTDIR).
  writeFileSync(join(dir, 'blocker'), 'not a folder\n');
  const r = moe(['run', 'p.yaml', '--workspace', 'blocker/ws'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^cannot write to the workspace blocker\/ws \(ENOTDIR: .*\); make it writable, or choose another with --workspace DIR\n$/,
  );
  assert.doesNotMatch(r.stderr, STACK);
  const json = moe(['run', 'p.yaml', '--workspace', 'blocker/ws', '--json'], dir);
  assert.equal(json.code, 2);
  assert.match(JSON.parse(json.stdout).error.message, /cannot write to the workspace blocker\/ws/);
  assert.ok(!existsSync(join(dir, '.moe')), 'nothing was written beside the pipeline');
});

test('a pipeline that is not UTF-8 text, a folder or UTF-16 is refused by every command that reads it', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  // "café" in Latin-1: before, the é became U+FFFD and the command ran with it.
  writeFileSync(
    join(dir, 'latin1.yaml'),
    Buffer.concat([
      Buffer.from('version: 1\nname: t\nnodes:\n  a:\n    step: command\n    with: { run: "echo caf'),
      Buffer.from([0xe9]),
      Buffer.from('" }\n'),
    ]),
  );
  writeFileSync(join(dir, 'utf16.yaml'), Buffer.from('\ufeffversion: 1\n', 'utf16le'));
  for (const command of ['validate', 'plan', 'run', 'graph']) {
    const r = moe([command, 'latin1.yaml'], dir);
    assert.equal(r.code, 2, `moe ${command}`);
    assert.match(
      r.stderr,
      /^latin1\.yaml:6:27: error: the file is not valid UTF-8 text \(byte 0xE9\); save it as UTF-8\n 6 \| .*\n {3}\| {27}\^\n/,
    );
    const wide = moe([command, 'utf16.yaml'], dir);
    assert.equal(wide.code, 2);
    assert.match(wide.stderr, /^utf16\.yaml:1:1: error: the file is UTF-16 text; save it as UTF-8\n/);
    const folder = moe([command, '.'], dir);
    assert.equal(folder.code, 2);
    assert.match(folder.stderr, /: is a directory, not a pipeline file\n/);
    for (const out of [r, wide, folder]) assert.doesNotMatch(out.stderr, STACK);
  }
  assert.ok(!existsSync(join(dir, '.moe', 'store')), 'nothing ran');
});

test('moe steps FILE and moe schema FILE say when FILE cannot be read instead of listing only the built-ins', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const missing = moe(['steps', 'typo.yaml'], dir);
  assert.equal(missing.code, 2);
  assert.equal(missing.stdout, '', 'no step list for a file that is not there');
  assert.match(missing.stderr, /^error: typo\.yaml: no such file\n/);
  for (const command of ['steps', 'schema']) {
    const folder = moe([command, '.'], dir);
    assert.equal(folder.code, 2, `moe ${command} .`);
    assert.equal(folder.stdout, '');
    assert.match(folder.stderr, /^error: \.: is a directory, not a pipeline file\n/);
    assert.doesNotMatch(folder.stderr, STACK);
  }
  writePipeline(dir, helloPipeline('ok'));
  assert.equal(moe(['steps', 'p.yaml'], dir).code, 0);
});

test('moe gc given a folder that is not a workspace removes nothing from it, and creates none', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  // A project folder passed as --workspace by mistake: before, gc emptied its tmp/ and store/.
  for (const sub of ['tmp', 'store/mydata', 'runs']) mkdirSync(join(dir, 'proj', sub), { recursive: true });
  writeFileSync(join(dir, 'proj', 'tmp', 'notes.txt'), 'precious\n');
  writeFileSync(join(dir, 'proj', 'store', 'mydata', 'a.csv'), '1,2\n');
  writeFileSync(join(dir, 'proj', 'runs', 'events.out.tfevents.1'), 'tensorboard\n');
  const r = moe(['gc', '--workspace', 'proj'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^proj is not a moe workspace .*nothing removed; .*--workspace DIR\n$/);
  assert.ok(existsSync(join(dir, 'proj', 'tmp', 'notes.txt')));
  assert.ok(existsSync(join(dir, 'proj', 'store', 'mydata', 'a.csv')));
  const none = moe(['gc'], dir);
  assert.equal(none.code, 2);
  assert.equal(none.stderr, 'no workspace at .moe: nothing to collect\n');
  assert.deepEqual(readdirSync(dir), ['proj'], 'gc made no .moe');
  writePipeline(dir, helloPipeline('gc'));
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  assert.equal(moe(['gc', 'p.yaml'], dir).code, 0, 'a real workspace is collected as before');
});

test('moe gc of a pipeline file that does not exist (a misspelt name) removes nothing', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, helloPipeline('gc'));
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  const before = readdirSync(join(dir, '.moe'), { recursive: true }).sort();
  const r = moe(['gc', 'q.yaml'], dir);
  assert.equal(r.code, 2, r.stdout);
  assert.equal(
    r.stderr,
    'q.yaml: no such file; nothing removed (to collect a workspace whose pipeline is gone, give it with --workspace DIR)\n',
  );
  assert.deepEqual(readdirSync(join(dir, '.moe'), { recursive: true }).sort(), before);
});

test('moe plan with a node in error marks what depends on it blocked, not "will run", and exits 1', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(
    dir,
    helloPipeline('missing', '      inputs: [missing.txt]\n') +
      '  b:\n    step: command\n    with:\n      run: cat ${{ nodes.a.outputs.a }}\n' +
      '  c:\n    step: command\n    with: { run: "true" }\n',
  );
  const plan = moe(['plan', 'p.yaml'], dir);
  assert.equal(plan.code, 1, plan.stderr);
  assert.match(plan.stdout, /^error +a +input missing\.txt does not exist/m);
  assert.match(plan.stdout, /^blocked +b +upstream a cannot run$/m);
  assert.match(plan.stdout, /^will run +c +never run$/m);
  const run = moe(['run', 'p.yaml'], dir);
  assert.equal(run.code, 1);
  assert.match(run.stdout + run.stderr, /skip b: upstream a failed/);
});

test('two nodes with identical commands both succeed, side by side or one after the other', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  // One fingerprint: before, both attempts used one staging folder and the second failed
  // ("cannot create …/staging/…/x: Directory nonexistent"), or its folder was wiped under the first.
  const twin = (id: string): string =>
    `  ${id}:\n    step: command\n    with: { run: "sleep 0.2; echo hi > $MOE_OUT/x", outputs: { x: x } }\n`;
  writePipeline(dir, `version: 1\nname: twins\nnodes:\n${twin('a')}${twin('b')}`);
  for (const jobs of ['2', '1']) {
    rmSync(join(dir, '.moe'), { recursive: true, force: true });
    const r = moe(['run', 'p.yaml', '--jobs', jobs], dir);
    assert.equal(r.code, 0, `--jobs ${jobs}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /succeeded: 2 ran, 0 cached, 0 failed/);
    assert.equal(moe(['run', 'p.yaml'], dir).stdout.match(/0 ran, 2 cached/)?.length, 1);
  }
});

test('moe run --gpus refuses a device list it would misread instead of running on the wrong devices', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, helloPipeline('gpus'));
  const cases: [string, RegExp][] = [
    [
      '0.1',
      /^--gpus 0\.1: `0\.1` is not a device index or a GPU UUID; list devices as 0,1 \(or -1 for none\)\n$/,
    ],
    ['0,0', /^--gpus 0,0: device 0 is listed twice\n$/],
  ];
  for (const [value, message] of cases) {
    const r = moe(['run', 'p.yaml', '--gpus', value], dir);
    assert.equal(r.code, 2, value);
    assert.match(r.stderr, message);
  }
  assert.ok(!existsSync(join(dir, '.moe')), 'nothing ran');
  assert.equal(moe(['run', 'p.yaml', '--gpus', 'GPU-8a1b2c3d,1'], dir).code, 0);
});

test('GPUs named by UUID (--gpus or CUDA_VISIBLE_DEVICES) reach each node by name, not as a position that means another device', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const node = (id: string, gpu: number): string =>
    commandNode(
      id,
      `echo "$CUDA_VISIBLE_DEVICES" > "$MOE_OUT/gpus.txt"`,
      { gpus: 'gpus.txt' },
      `resources: { gpu: ${gpu} }`,
    );
  writePipeline(dir, `version: 1\nname: uuids\nnodes:\n${node('one', 1)}${node('two', 2)}`);
  const seen = (ws: string, id: string): string => {
    // What each node wrote: `two` holds both devices, `one` a single one.
    const found = readdirSync(join(dir, ws, 'store'))
      .map((d) => join(dir, ws, 'store', d, 'gpus.txt'))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8').trim());
    return found.filter((v) => (id === 'two' ? v.includes(',') : !v.includes(','))).join(' ');
  };
  const flag = moe(
    ['run', 'p.yaml', '--workspace', 'w1', '--gpus', 'GPU-8a1b2c3d,MIG-4e5f6a7b', '-j', '1'],
    dir,
  );
  assert.equal(flag.code, 0, flag.stderr);
  assert.ok(['GPU-8a1b2c3d', 'MIG-4e5f6a7b'].includes(seen('w1', 'one')), `one saw ${seen('w1', 'one')}`);
  assert.equal(seen('w1', 'two'), 'GPU-8a1b2c3d,MIG-4e5f6a7b');
  const env = moe(['run', 'p.yaml', '--workspace', 'w2', '-j', '1'], dir, {
    CUDA_VISIBLE_DEVICES: 'GPU-0c0c,GPU-1d1d',
  });
  assert.equal(env.code, 0, env.stderr);
  assert.ok(['GPU-0c0c', 'GPU-1d1d'].includes(seen('w2', 'one')), `one saw ${seen('w2', 'one')}`);
  assert.equal(seen('w2', 'two'), 'GPU-0c0c,GPU-1d1d');
});

test('CUDA_VISIBLE_DEVICES=0,-1,1 offers device 0 only, as CUDA reads it, not device 1 it hides', (t) => {
  // CUDA stops at the first id that is not a device: `0,-1,1` hides device 1. moe handed it out anyway,
  // with CUDA_VISIBLE_DEVICES=1 set for the node, undoing what the user hid.
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const node = (id: string, gpu: number): string =>
    commandNode(
      id,
      `echo "$CUDA_VISIBLE_DEVICES" > "$MOE_OUT/gpus.txt"`,
      { gpus: 'gpus.txt' },
      `resources: { gpu: ${gpu} }`,
    );
  writePipeline(dir, `version: 1\nname: hidden\nnodes:\n${node('one', 1)}${node('two', 2)}`);
  const r = moe(['run', 'p.yaml', '-k', '--json'], dir, { CUDA_VISIBLE_DEVICES: '0,-1,1' });
  assert.equal(r.code, 1, r.stderr);
  const failed = r.stdout.split('\n').filter((l) => l.includes('"node-failed"'));
  assert.equal(failed.length, 1, r.stdout);
  assert.match(failed[0]!, /"node":"two".*asks for 2 GPUs but only 1 is available/);
  const store = join(dir, '.moe', 'store');
  const seen = readdirSync(store).map((d) => readFileSync(join(store, d, 'gpus.txt'), 'utf8').trim());
  assert.deepEqual(seen, ['0']);
});

test('compare --html and schema --out given a folder say so and leave no temporary file beside it', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, helloPipeline('pages'));
  assert.equal(moe(['run', 'p.yaml', '--sweep', 'word=a,b'], dir).code, 0);
  mkdirSync(join(dir, 'out'));
  const page = moe(['compare', 'p.yaml', '--html', 'out'], dir);
  assert.equal(page.code, 1);
  assert.match(
    page.stderr,
    /cannot write .*out: it is a folder; give a file name, e\.g\. .*out\/sweep\.html\n/,
  );
  const schema = moe(['schema', '--out', 'out'], dir);
  assert.equal(schema.code, 1);
  assert.equal(
    schema.stderr,
    'cannot write out: it is a folder; give a file name, e.g. out/pipeline.schema.json\n',
  );
  assert.deepEqual(readdirSync(join(dir, 'out')), []);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.startsWith('out.')),
    [],
    'before, the page and the schema were left as out.<pid>.tmp and out.<pid>.partial',
  );
});

test('a timeout longer than 24.8 days (timeout: 600h) lets the node run instead of ending it at once', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, helloPipeline('long', '    timeout: 600h\n'));
  const r = moe(['run', 'p.yaml'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /done a in/);
  assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning|timed out/);
});

test('an input that cannot be read (a symlink loop, a FIFO) is a node error, not a stack trace or a hang', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'data'));
  symlinkSync('loop', join(dir, 'data', 'loop'));
  assert.equal(spawnSync('mkfifo', [join(dir, 'fifo')]).status, 0);
  const node = (id: string, input: string): string =>
    `  ${id}:\n    step: command\n    with: { run: "true", inputs: [${input}] }\n`;
  writePipeline(
    dir,
    `version: 1\nname: inputs\nnodes:\n${node('a', 'data')}${node('b', 'fifo')}${node('c', 'p.yaml')}`,
  );
  const plan = moe(['plan', 'p.yaml'], dir);
  assert.equal(plan.code, 1, plan.stderr);
  assert.match(plan.stdout, /^error +a +input data cannot be read: ELOOP: .*data\/loop'$/m);
  assert.match(
    plan.stdout,
    /^error +b +input fifo cannot be read: .*fifo is neither a file, a directory nor a symlink$/m,
  );
  assert.match(plan.stdout, /^will run +c +never run$/m);
  const run = moe(['run', 'p.yaml', '--keep-going'], dir);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /FAILED a: input data cannot be read: ELOOP/);
  assert.match(run.stdout, /FAILED b: input fifo cannot be read/);
  assert.match(run.stdout, /done c in/);
  for (const r of [plan, run]) assert.doesNotMatch(r.stderr, STACK);
});

test('a sweep over a long text parameter runs: its variant names no longer make file names over 255 bytes', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  // The node prints, so each variant gets a log file named after it.
  writePipeline(
    dir,
    `version: 1\nname: prompts\nparams: { word: hello }\nnodes:\n${commandNode('a', 'echo ${{ params.word }}; echo x > "$MOE_OUT/x"', { x: 'x' })}`,
  );
  const prompt = 'a photograph of a lighthouse on a cliff at dusk with dramatic clouds '.repeat(4).trim();
  // Before: "could not keep the command's output: ENAMETOOLONG" for the long variant, a[word=a photograph …].
  const r = moe(['run', 'p.yaml', '--sweep', `word=${prompt},short`], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /succeeded: 2 ran, 0 cached, 0 failed/);
  const status = moe(['status', 'p.yaml'], dir);
  assert.equal(status.code, 0);
  assert.match(status.stdout, /done +a\[word=a photograph of a lighthouse/);
});

test('a declared output the command did not write fails the node with where it was expected and what to do', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(
    dir,
    `version: 1\nname: out\nnodes:\n${commandNode('a', 'echo hi > "$MOE_OUT/y"', { x: 'x' })}`,
  );
  const r = moe(['run', 'p.yaml'], dir);
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /FAILED a: declared output missing: x \(x\); the step ended without writing it in its output folder \(\$MOE_OUT\): write it there, or correct the path\n/,
  );
});

test('an empty pipeline path (an unset shell variable) says so instead of calling the current folder a directory', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  for (const command of ['run', 'validate', 'plan']) {
    const r = moe([command, ''], dir);
    assert.equal(r.code, 2, command);
    assert.match(r.stderr, /^error: no pipeline file given: the path is empty\n/, command);
  }
});
