import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepRegistry } from '../../src/steps/registry.js';
import { builtinStepNames, builtinSteps } from '../../src/steps/builtin.js';
import { loadPlugins } from '../../src/steps/plugins.js';
import { moe } from '../cli/helpers.js';
import type { StepDefinition } from '../../src/contract/step.js';

const fake = (name: string): StepDefinition<never> =>
  ({
    name,
    version: '1',
    description: 'x',
    withSchema: {},
    outputs: () => ({}),
    run: async () => undefined,
  }) as unknown as StepDefinition<never>;

test('the registry refuses a second step with the same name, naming both origins', () => {
  const r = new StepRegistry();
  assert.ok(r.register(fake('train.expert'), { origin: 'built-in' }).ok);
  const dup = r.register(fake('train.expert'), { origin: 'plugins/mine.js' });
  assert.ok(!dup.ok);
  assert.equal(
    dup.error.message,
    'step type "train.expert" from plugins/mine.js is already registered by built-in',
  );
  assert.deepEqual(r.names(), ['train.expert']);
});

test('built-in steps load by name, only those asked for', async () => {
  assert.ok(builtinStepNames().includes('command'));
  const some = await builtinSteps(['command', 'no.such.step']);
  assert.deepEqual(
    some.map((s) => s.name),
    ['command'],
  );
});

const PLUGIN = `export const steps = [{
  name: 'hello.world', version: '1', description: 'says hello', withSchema: { type: 'object' },
  outputs: () => ({ greeting: 'greeting.txt' }),
  async run(ctx) { (await import('node:fs')).writeFileSync(ctx.outDir + '/greeting.txt', 'hello'); },
}];
`;

test('plugins load from plugins/ beside the pipeline and from paths listed in it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'plugins', 'hello.mjs'), PLUGIN);
  mkdirSync(join(dir, 'vendor', 'other'), { recursive: true });
  writeFileSync(
    join(dir, 'vendor', 'other', 'index.mjs'),
    `${PLUGIN.replace('hello.world', 'other.step').replace('export const steps', 'const steps')}export default { steps };\n`,
  );
  const loaded = await loadPlugins(join(dir, 'p.yaml'), dir, ['./vendor/other']);
  assert.deepEqual(loaded.diagnostics, []);
  assert.deepEqual(
    loaded.steps.map((s) => [s.step.name, s.origin]),
    [
      ['hello.world', join(dir, 'plugins', 'hello.mjs')],
      ['other.step', join(dir, 'vendor', 'other', 'index.mjs')],
    ],
  );
});

test('a broken plugin is a diagnostic naming its file, not a stack trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'plugins', 'syntax.mjs'), 'export const steps = [;');
  writeFileSync(join(dir, 'plugins', 'nosteps.mjs'), 'export const other = 1;');
  writeFileSync(join(dir, 'plugins', 'norun.mjs'), "export const steps = [{ name: 'x', version: '1' }];");
  const loaded = await loadPlugins(join(dir, 'p.yaml'), dir, ['./missing.mjs', 'no-such-package-moe-test']);
  const messages = loaded.diagnostics.map((d) => d.message.replace(dir, '<dir>'));
  assert.equal(loaded.steps.length, 0);
  assert.equal(messages.length, 5);
  assert.match(messages[0]!, /^plugin \.\/missing\.mjs \(listed in <dir>\/p\.yaml\) not found/);
  assert.match(messages[1]!, /^plugin <dir>\/plugins\/norun\.mjs: steps\[0\] \("x"\) has no `run` function/);
  assert.match(messages[2]!, /^plugin <dir>\/plugins\/nosteps\.mjs does not export `steps`/);
  assert.match(messages[3]!, /^plugin <dir>\/plugins\/syntax\.mjs could not be loaded: /);
  assert.match(messages[4]!, /^plugin npm package no-such-package-moe-test could not be loaded/);
  assert.ok(loaded.diagnostics.every((d) => d.code === 'plugin' && d.severity === 'error'));
});

test('a TypeScript plugin outside an ES-module package: the diagnostic says to add "type": "module"', (t) => {
  // Node's own message ("Cannot require() ES Module … in a cycle") named no fix; a user's project folder
  // often has no package.json with "type": "module". (In the built CLI: the test runner's own tsx loads it.)
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-ts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins', 'mine'), { recursive: true });
  writeFileSync(join(dir, 'plugins', 'mine', 'index.ts'), 'export const steps: unknown[] = [];\n');
  writeFileSync(
    join(dir, 'p.yaml'),
    'version: 1\nnodes:\n  a:\n    step: command\n    with: { run: "true" }\n',
  );
  const bare = moe(['validate', 'p.yaml'], dir);
  assert.equal(bare.code, 2, bare.stdout);
  assert.match(
    bare.stderr,
    /plugin .*index\.ts could not be loaded: a TypeScript plugin loads as an ES module, and no package\.json above it says "type": "module"; add one with \{"type": "module"\} beside the plugin, or name the file \.mts/,
  );
  writeFileSync(join(dir, 'plugins', 'mine', 'package.json'), '{"type": "module"}\n');
  const esm = moe(['validate', 'p.yaml'], dir);
  assert.equal(esm.code, 0, esm.stderr);
});

test('a plugin that throws something other than an Error while loading is a diagnostic, not a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'plugins', 'a.mjs'), "throw 'no licence';");
  writeFileSync(join(dir, 'plugins', 'b.mjs'), 'throw { code: 42 };');
  writeFileSync(join(dir, 'plugins', 'c.mjs'), 'throw null;');
  const loaded = await loadPlugins(join(dir, 'p.yaml'), dir, []);
  const messages = loaded.diagnostics.map((d) => d.message.replace(dir, '<dir>'));
  assert.deepEqual(messages, [
    'plugin <dir>/plugins/a.mjs could not be loaded: it threw no licence',
    'plugin <dir>/plugins/b.mjs could not be loaded: it threw {"code":42}',
    'plugin <dir>/plugins/c.mjs could not be loaded: it threw null',
  ]);
});

test('a listed plugin that fails is reported at its line and column in the pipeline, with what to do', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'extra'));
  writeFileSync(join(dir, 'extra', 'boom.mjs'), "const x = 1;\nthrow new Error('no licence');\n");
  writeFileSync(
    join(dir, 'p.yaml'),
    'version: 1\nplugins:\n  - ./extra/boom.mjs\n  - ./extra/missing.mjs\n  - no-such-package-moe-test\nnodes:\n  a:\n    step: command\n    with: { run: "true" }\n',
  );
  const r = moe(['validate', 'p.yaml'], dir);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /p\.yaml:3:5: error: plugin .*extra\/boom\.mjs could not be loaded: no licence \(at .*extra\/boom\.mjs:2:7\)/,
  );
  assert.match(r.stderr, /p\.yaml:4:5: error: plugin \.\/extra\/missing\.mjs .*not found/);
  assert.match(
    r.stderr,
    /p\.yaml:5:5: error: plugin npm package no-such-package-moe-test could not be loaded: Cannot find package 'no-such-package-moe-test'\n/,
  );
  assert.match(
    r.stderr,
    /help: install it where the pipeline is \(npm install no-such-package-moe-test\), or write a file's path starting with \.\//,
  );
  assert.doesNotMatch(r.stderr, /imported from/);
});

test('a plugin step whose withSchema does not compile: the error says to fix the plugin and how to find it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'odd.mjs'),
    "export const steps = [{ name: 'x.odd', version: '1', withSchema: { type: 'objekt' }, outputs: () => ({}), run: async () => ({}) }];\n",
  );
  writeFileSync(join(dir, 'p.yaml'), 'version: 1\nnodes:\n  a:\n    step: x.odd\n    with: {}\n');
  const r = moe(['validate', 'p.yaml'], dir);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /p\.yaml:3:3: error: step type `x\.odd` has a parameter schema that does not compile/,
  );
  assert.match(
    r.stderr,
    /help: fix the step's withSchema where it is defined \(`moe steps PIPELINE` names its file\)/,
  );
});

test('a plugin step named like a built-in one: the error names both and says to rename it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'clash.mjs'),
    "export const steps = [{ name: 'command', version: '1', withSchema: { type: 'object' }, outputs: () => ({}), run: async () => ({}) }];\n",
  );
  writeFileSync(
    join(dir, 'p.yaml'),
    'version: 1\nnodes:\n  a:\n    step: command\n    with: { run: "true" }\n',
  );
  const r = moe(['validate', 'p.yaml'], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /step type "command" from .*clash\.mjs is already registered by built-in/);
  assert.match(r.stderr, /help: give the plugin's step another name, e\.g\. `clash\.command`/);
});

test('an empty plugins: entry is left to the schema, not looked up as an npm package named ""', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'p.yaml'),
    'version: 1\nplugins: [""]\nnodes:\n  a:\n    step: command\n    with: { run: "true" }\n',
  );
  const r = moe(['validate', 'p.yaml'], dir);
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /npm package/);
  assert.match(r.stderr, /p\.yaml:2:11: error: `plugins\.0`/);
});

test('a dangling link in plugins/ is a diagnostic naming it, not a crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  symlinkSync(join(dir, 'gone.mjs'), join(dir, 'plugins', 'dangling.mjs'));
  const loaded = await loadPlugins(join(dir, 'p.yaml'), dir, []);
  assert.deepEqual(
    loaded.diagnostics.map((d) => d.message.replace(dir, '<dir>').replace(dir, '<dir>')),
    [
      'plugin <dir>/plugins/dangling.mjs could not be loaded: it is a link to <dir>/gone.mjs, which does not exist',
    ],
  );
});

test("a plugin folder's package.json that is not JSON, or whose main is missing, is named with what to do", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins', 'broken'), { recursive: true });
  writeFileSync(join(dir, 'plugins', 'broken', 'package.json'), '{\n  "main": "index.js",\n}\n');
  mkdirSync(join(dir, 'plugins', 'moved'), { recursive: true });
  writeFileSync(join(dir, 'plugins', 'moved', 'package.json'), '{ "main": "lib/nope.js" }\n');
  const loaded = await loadPlugins(join(dir, 'p.yaml'), dir, []);
  const messages = loaded.diagnostics.map((d) => d.message.replaceAll(dir, '<dir>'));
  assert.equal(messages.length, 2);
  assert.match(
    messages[0]!,
    /^plugin <dir>\/plugins\/broken: <dir>\/plugins\/broken\/package\.json:3:1: not valid JSON: /,
  );
  assert.equal(
    messages[1],
    'plugin <dir>/plugins/moved: its package.json names "main": "lib/nope.js", which does not exist',
  );
});

test('a plugin step whose outputs() gives a Promise or a path that is not a string is refused by validate', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'outs.mjs'),
    `const base = { version: '1', withSchema: { type: 'object' }, run: async () => ({}) };
export const steps = [
  { ...base, name: 'x.num', outputs: () => ({ o: 5 }) },
  { ...base, name: 'x.later', outputs: async () => ({ o: 'x' }) },
];\n`,
  );
  writeFileSync(
    join(dir, 'p.yaml'),
    'version: 1\nnodes:\n  a:\n    step: x.num\n    with: {}\n  b:\n    step: x.later\n    with: {}\n',
  );
  const r = moe(['validate', 'p.yaml'], dir);
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stderr, /p\.yaml:3:3: error: step type `x\.num` listed output `o` as a number, not a path/);
  assert.match(
    r.stderr,
    /p\.yaml:6:3: error: step type `x\.later` listed its outputs as a Promise, not a map of names to paths: outputs\(\) must return the map itself, not be async/,
  );
});

test('moe steps and moe schema report a failing plugin as validate does: at its entry, with what to do', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'p.yaml'),
    'version: 1\nplugins: [no-such-package-moe-test]\nnodes:\n  a:\n    step: command\n    with: { run: "true" }\n',
  );
  for (const command of ['steps', 'schema']) {
    const r = moe([command, 'p.yaml'], dir);
    assert.equal(r.code, 2, command);
    assert.match(
      r.stderr,
      /p\.yaml:2:11: error: plugin npm package no-such-package-moe-test could not be loaded/,
      command,
    );
    assert.match(r.stderr, /help: install it where the pipeline is/, command);
  }
});

test('moe steps and moe schema of a file that is not YAML give its syntax error, not the built-ins alone', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'my-step.js'),
    "export const steps = [{ name: 'my.step', version: '1', description: 'mine', withSchema: { type: 'object' }, outputs: () => ({}), run: async () => ({}) }];\n",
  );
  // The closing brace is missing: the plugin it lists was left out, and the built-ins listed as if complete.
  writeFileSync(join(dir, 'p.yaml'), '{version: 1, plugins: [./my-step.js], nodes: {a: {step: my.step}}\n');
  for (const command of ['steps', 'schema']) {
    const r = moe([command, 'p.yaml'], dir);
    assert.equal(r.code, 2, `${command}: ${r.stdout.slice(0, 200)}`);
    assert.match(r.stderr, /^p\.yaml:2:1: error: flow map must end with a \}/m, command);
    assert.equal(r.stdout, '', command);
  }
});

test("a plugin file with a syntax error is reported at the error's line and column in it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'plugins', 'a.mjs'), 'const ok = 1;\nconst broken = ;\nexport const steps = [];\n');
  // A syntax error in a module the plugin imports: not the plugin's line; said without a place.
  writeFileSync(join(dir, 'plugins', 'b.mjs'), "export { steps } from '../lib/helper.mjs';\n");
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'helper.mjs'), 'export const steps = [;\n');
  const loaded = await loadPlugins(join(dir, 'p.yaml'), dir, []);
  const messages = loaded.diagnostics.map((d) => d.message.replaceAll(dir, '<dir>'));
  assert.deepEqual(messages, [
    "plugin <dir>/plugins/a.mjs could not be loaded: Unexpected token ';' (at <dir>/plugins/a.mjs:2:16)",
    "plugin <dir>/plugins/b.mjs could not be loaded: Unexpected token ';'",
  ]);
});

test('a TypeScript plugin that does not compile is reported with the compiler error and its place', (t) => {
  // tsx's error starts "Transform failed with 1 error:"; that line alone was the whole diagnostic.
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-ts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(
    join(dir, 'plugins', 'bad.mts'),
    'const n: number = ;\nexport const steps: unknown[] = [];\n',
  );
  writeFileSync(
    join(dir, 'p.yaml'),
    'version: 1\nnodes:\n  a:\n    step: command\n    with: { run: "true" }\n',
  );
  const r = moe(['validate', 'p.yaml'], dir);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /plugin .*bad\.mts could not be loaded: Unexpected ";" \(at .*plugins\/bad\.mts:1:19\)/,
  );
});

test('a helper module directly in plugins/ is named with where helpers belong', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'plugins'));
  writeFileSync(join(dir, 'plugins', 'util.mjs'), 'export const shout = (s) => s.toUpperCase();\n');
  writeFileSync(
    join(dir, 'plugins', 'upper.mjs'),
    "import { shout } from './util.mjs';\nexport const steps = [{ name: 'x', version: '1', withSchema: {}, outputs: () => ({}), run: async () => shout('a') }];\n",
  );
  const loaded = await loadPlugins(join(dir, 'p.yaml'), dir, []);
  assert.equal(loaded.diagnostics.length, 1);
  const d = loaded.diagnostics[0]!;
  assert.match(d.message, /plugins\/util\.mjs does not export `steps`/);
  assert.match(
    d.suggestion ?? '',
    /a helper module belongs in a plugin's own folder \(plugins\/NAME\/ with an index module beside its helpers\) or outside plugins\//,
  );
});
