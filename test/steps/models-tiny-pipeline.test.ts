// models.tiny's block_out_channels as a pipeline user meets it: bad values refused with the place and the
// fix, and the value part of the node's cache key (a change reruns the family and what reads it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const moe = (...args: string[]) => spawnSync(process.execPath, ['bin/moe.js', ...args], { encoding: 'utf8' });
const dir = await mkdtemp(join(tmpdir(), 'moe-tiny-channels-'));
test.after(() => rm(dir, { recursive: true, force: true }));

test('bad block_out_channels written in the file are refused at their line and column, with the fix', async () => {
  const file = join(dir, 'bad.yaml');
  await writeFile(
    file,
    [
      'version: 1',
      'name: bad',
      'nodes:',
      '  odd:',
      '    step: models.tiny',
      '    with:',
      '      block_out_channels: [32, 70]',
      '  three:',
      '    step: models.tiny',
      '    with:',
      '      block_out_channels: [32, 64, 64]',
      '  none:',
      '    step: models.tiny',
      '    with:',
      '      block_out_channels: [0, 64]',
      '',
    ].join('\n'),
  );
  const r = moe('validate', file);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  assert.match(
    out,
    /bad\.yaml:7:32: error: `nodes\.odd\.with\.block_out_channels\.1` must be a multiple of 8, got `70`/,
  );
  assert.match(out, /help: use `64` or `72`/);
  assert.match(
    out,
    /bad\.yaml:11:27: error: `nodes\.three\.with\.block_out_channels` must have exactly 2 items, got 3/,
  );
  assert.match(
    out,
    /bad\.yaml:15:28: error: `nodes\.none\.with\.block_out_channels\.0` must be >= 8, got `0`/,
  );
  assert.doesNotMatch(out, /\n\s+at /);
});

const pipeline = [
  'version: 1',
  'name: widths',
  'params:',
  '  wide: 64',
  'nodes:',
  '  model:',
  '    step: models.tiny',
  '    with:',
  "      block_out_channels: [32, '${{ params.wide }}']",
  '  read:',
  '    step: command',
  '    with:',
  '      run: tr -d " \\n" < ${{ nodes.model.outputs.model }}/unet/config.json > "$MOE_OUT/config.json"',
  '      outputs: { config: config.json }',
  '',
].join('\n');

interface RunEvent {
  readonly type: string;
  readonly node?: string;
  readonly reasons?: readonly string[];
  readonly outputs?: string;
  readonly summary?: Readonly<Record<string, unknown>>;
}

/** `moe run --json` of the widths pipeline with params.wide = `wide`: its exit status and events. */
function run(file: string, ws: string, wide: number) {
  const r = moe('run', file, '--workspace', ws, '--param', `wide=${wide}`, '--json');
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
  const done = (node: string) => events.find((e) => e.type === 'node-done' && e.node === node);
  const started = events.filter((e) => e.type === 'node-start').map((e) => e.node);
  return { r, events, done, started };
}

test('block_out_channels is part of the cache key: a new width reruns models.tiny and what reads the model', async () => {
  const file = join(dir, 'widths.yaml');
  const ws = join(dir, 'ws');
  await writeFile(file, pipeline);

  const first = run(file, ws, 64);
  assert.equal(first.r.status, 0, first.r.stdout + first.r.stderr);
  assert.deepEqual(first.started, ['model', 'read']);
  assert.equal(first.done('model')?.summary?.['block_out_channels'], '32,64');
  assert.deepEqual(run(file, ws, 64).started, [], 'the same width is cached');

  const wider = run(file, ws, 72);
  assert.equal(wider.r.status, 0, wider.r.stdout + wider.r.stderr);
  assert.deepEqual(wider.started, ['model', 'read']);
  assert.equal(wider.done('model')?.summary?.['block_out_channels'], '32,72');
  assert.notEqual(wider.done('model')?.outputs, first.done('model')?.outputs);
  // The downstream node read the new model's config, so its own output changed too.
  assert.notEqual(wider.done('read')?.outputs, first.done('read')?.outputs);
});

test('a width from a parameter is checked before anything runs, naming where it was written', async () => {
  const file = join(dir, 'widths-bad.yaml');
  await writeFile(file, pipeline);
  const bad = run(file, join(dir, 'ws-bad'), 70);
  // Refused as the file is read (exit 2), so no node starts; the message points at the expression.
  assert.equal(bad.r.status, 2, bad.r.stdout + bad.r.stderr);
  assert.deepEqual(bad.started, []);
  const text = bad.r.stdout + bad.r.stderr;
  assert.match(
    text,
    /widths-bad\.yaml:9:32: error: `nodes\.model\.with\.block_out_channels\.1` must be a multiple of 8, got `70`/,
  );
  assert.match(text, /params\.wide/);
  assert.doesNotMatch(bad.r.stderr, /\n\s+at /);
});
