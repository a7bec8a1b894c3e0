// `moe import … -o PATH` where PATH is a folder or lies in a folder that does not exist: Node's bare
// "EISDIR: illegal operation on a directory" came out with "Code: EISDIR" and nothing said what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moe, tempDir } from '../cli/helpers.js';

const SEED = fileURLToPath(new URL('../fixtures/simpletuner-seed/stage1.env', import.meta.url));

/** oclif wraps the error at 80 columns behind ` ›   `: read it back as one line. */
const unwrapped = (stderr: string): string => stderr.replace(/\s*\n\s*›\s*/g, ' ');

test('import -o naming a folder, or a file in a missing folder, is refused with what to do', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'adir'));
  const d = moe(['import', 'simpletuner', SEED, '-o', 'adir'], dir);
  assert.equal(d.code, 2);
  assert.match(
    unwrapped(d.stderr),
    /cannot write adir: it is a folder; name a file with -o, e\.g\. adir\/moe\.yaml/,
  );
  assert.doesNotMatch(d.stderr, /Code: /);
  const m = moe(['import', 'simpletuner', SEED, '-o', 'nodir/x.yaml'], dir);
  assert.equal(m.code, 2);
  assert.match(
    unwrapped(m.stderr),
    /cannot write nodir\/x\.yaml: the folder nodir does not exist; make it first/,
  );
});

test('import -o naming a file the pipeline is imported from is refused, and the file is kept', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const musubi = fileURLToPath(new URL('../fixtures/musubi-wan22/', import.meta.url));
  for (const f of ['train-high.sh', 'train-low.sh', 'dataset.toml'])
    copyFileSync(join(musubi, f), join(dir, f));
  copyFileSync(SEED, join(dir, 'stage1.env'));
  const before = (f: string): string => readFileSync(join(musubi, f), 'utf8');
  const cases: [string[], string, string][] = [
    [['musubi-tuner', 'train-high.sh', '--other', 'train-low.sh'], 'train-high.sh', before('train-high.sh')],
    [['musubi-tuner', 'train-high.sh', '--other', 'train-low.sh'], './train-low.sh', before('train-low.sh')],
    // Read because the run names it (--dataset_config dataset.toml), not given on the command line.
    [['musubi-tuner', 'train-high.sh'], 'dataset.toml', before('dataset.toml')],
    [['simpletuner', 'stage1.env'], 'stage1.env', readFileSync(SEED, 'utf8')],
  ];
  for (const [args, output, text] of cases) {
    const r = moe(['import', ...args, '-o', output], dir);
    assert.equal(r.code, 2, `${output}: ${r.stderr}`);
    assert.match(
      unwrapped(r.stderr),
      new RegExp(
        `cannot write ${output.replace(/\./g, '\\.')}: it is \\S*${output.replace('./', '').replace(/\./g, '\\.')}, which the pipeline is imported from; name another file with -o`,
      ),
    );
    assert.equal(readFileSync(join(dir, output), 'utf8'), text, `${output} is kept`);
  }
  // Any other file is overwritten, as gcc -o and curl -o do.
  writeFileSync(join(dir, 'old.yaml'), 'old');
  assert.equal(moe(['import', 'simpletuner', 'stage1.env', '-o', 'old.yaml'], dir).code, 0);
  assert.match(readFileSync(join(dir, 'old.yaml'), 'utf8'), /^# Imported from SimpleTuner: stage1\.env/);
});

test('import --name "" is refused: the pipeline it wrote failed moe validate (`name` must not be empty)', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const musubi = fileURLToPath(new URL('../fixtures/musubi-wan22/train-high.sh', import.meta.url));
  for (const args of [
    ['simpletuner', SEED],
    ['musubi-tuner', musubi],
  ]) {
    const r = moe(['import', ...args, '--name', ' ', '-o', 'p.yaml'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      unwrapped(r.stderr),
      /--name must not be empty; leave it out to name the pipeline after the file/,
    );
    assert.ok(!existsSync(join(dir, 'p.yaml')), 'nothing written');
  }
});
