// The fast path past oclif for `run`, `plan` and `validate`: same flags as the oclif commands, the same
// results, flag errors still clear messages with exit code 2, and oclif never loaded when it is taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from '@oclif/core';
import Plan from '../../src/cli/commands/plan.js';
import Run from '../../src/cli/commands/run.js';
import Validate from '../../src/cli/commands/validate.js';
import { parseFast } from '../../src/cli/fast/parse.js';
import { FAST_COMMANDS } from '../../src/cli/flags.js';
import { helloPipeline, moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = helloPipeline('fast');

const CLASSES: Record<string, Command.Class> = { run: Run, plan: Plan, validate: Validate };

test('the fast path declares exactly the flags of the oclif commands', async () => {
  for (const [id, cls] of Object.entries(CLASSES)) {
    const spec = FAST_COMMANDS[id];
    assert.ok(spec, id);
    assert.equal(spec.jsonFlag, cls.enableJsonFlag === true, `${id}: enableJsonFlag`);
    const oclif = cls.flags ?? {};
    assert.deepEqual(Object.keys(spec.flags).sort(), Object.keys(oclif).sort(), `${id}: flag names`);
    for (const [name, f] of Object.entries(spec.flags)) {
      const o = oclif[name] as unknown as Record<string, unknown> & {
        parse?: (input: string, ctx: unknown, opts: unknown) => Promise<unknown>;
      };
      const where = `${id} --${name}`;
      assert.equal(o['type'], f.kind === 'boolean' ? 'boolean' : 'option', where);
      assert.equal(o['char'], f.char, where);
      assert.equal(o['multiple'] === true, f.multiple === true, where);
      assert.deepEqual(o['options'], f.options, where);
      assert.equal(o['min'], f.min, where);
      const def = o['default'];
      assert.deepEqual(Array.isArray(def) && def.length === 0 ? undefined : def, f.default, where);
      if (f.kind === 'integer') await assert.rejects(o.parse?.('1.5', {}, o) ?? Promise.reject(), where);
      if (f.kind === 'string') assert.equal(await o.parse?.('1.5', {}, o), '1.5', where);
    }
  }
});

test('parseFast reads what oclif reads and declines everything else', () => {
  const run = FAST_COMMANDS['run']!;
  const p = parseFast(
    run,
    ['p.yaml', '-p', 'a=1', '--param=b=2', '--sweep', 'c=1,2', '-j2', '-kn', '--wait', '5', '--json'],
    {},
  );
  assert.deepEqual(p, {
    file: 'p.yaml',
    json: true,
    flags: {
      param: ['a=1', 'b=2'],
      sweep: ['c=1,2'],
      force: [],
      only: [],
      from: [],
      jobs: 2,
      'keep-going': true,
      'dry-run': true,
      wait: 5,
      json: true,
    },
  });
  assert.equal(parseFast(run, ['--jobs', '3', 'p.yaml'], {})?.file, 'p.yaml');
  assert.equal(parseFast(run, ['p.yaml'], { MOE_CONTENT_TYPE: 'JSON' })?.json, true);
  assert.equal(parseFast(run, ['p.yaml', '--', '--json'], {}), undefined, 'a second argument');
  for (const argv of [
    [],
    ['p.yaml', '--bogus'],
    ['p.yaml', '--jobs'],
    ['p.yaml', '--jobs', 'x'],
    ['p.yaml', '--jobs', '0'],
    ['p.yaml', '--wait', '-1'],
    ['p.yaml', '--executor', 'cloud'],
    ['p.yaml', '--workspace', '--json'],
    ['p.yaml', '--jobs', '1', '--jobs', '2'],
    ['p.yaml', '--help'],
    ['p.yaml', '-h'],
    ['p.yaml', 'q.yaml'],
    ['--force', 'a', 'p.yaml'], // oclif reads p.yaml as a second --force value
    ['p.yaml', '--json=true'],
  ]) {
    assert.equal(parseFast(run, argv, {}), undefined, argv.join(' '));
  }
});

test('flag errors on the fast commands are clear messages with exit code 2, never a stack trace', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  const cases: [string[], RegExp][] = [
    [['run', 'p.yaml', '--bogus'], /Nonexistent flag: --bogus/],
    [['plan', 'p.yaml', '--jobs', '2'], /Nonexistent flag: --jobs/],
    [['run', 'p.yaml', '--jobs'], /Flag --jobs expects a value/],
    [['run', 'p.yaml', '--param'], /Flag --param expects a value/],
    [['run', 'p.yaml', '--jobs', 'many'], /Expected an integer but received: many/],
    [['run', 'p.yaml', '--param', 'word'], /--param expects name=value, got `word`/],
    [['plan', 'p.yaml', '-p', 'word'], /--param expects name=value, got `word`/],
    [['validate', 'p.yaml', '--param', 'word'], /--param expects name=value, got `word`/],
    [['run'], /Missing 1 required arg/],
  ];
  for (const [args, message] of cases) {
    const r = moe(args, dir);
    const what = args.join(' ');
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+:\d+/, `${what}: no stack trace`);
  }
});

test('run, plan and validate take the fast path without loading oclif; --help still goes to oclif', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  // A loader hook that makes importing oclif fail: the fast path must never need it.
  const hooks = join(dir, 'no-oclif.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(s, c, next) {\n  if (s.startsWith('@oclif/')) throw new Error('oclif was loaded');\n  return next(s, c);\n}\n`,
  );
  const preload = join(dir, 'preload.mjs');
  writeFileSync(
    preload,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  const env = { NODE_OPTIONS: `--import ${preload}` };
  const validate = moe(['validate', 'p.yaml'], dir, env);
  assert.equal(validate.code, 0, validate.stderr);
  assert.equal(validate.stdout, 'p.yaml: valid (1 node)\n');
  const run = moe(['run', 'p.yaml', '-p', 'word=hi'], dir, env);
  assert.equal(run.code, 0, run.stderr);
  const plan = moe(['plan', 'p.yaml', '--param=word=hi', '--json'], dir, env);
  assert.equal(plan.code, 0, plan.stderr);
  assert.equal((JSON.parse(plan.stdout) as { counts: { cached: number } }).counts.cached, 1);
  const help = moe(['run', 'p.yaml', '--help'], dir, env);
  assert.notEqual(help.code, 0, 'the hook stops oclif');
  assert.match(help.stderr, /oclif was loaded/);
  const realHelp = moe(['plan', '--help'], dir);
  assert.equal(realHelp.code, 0, realHelp.stderr);
  assert.match(realHelp.stdout, /USAGE\n {2}\$ moe plan FILE/);
});
