// `moe export simpletuner` writes one set of configs: for a pipeline with a sweep, those of its defaults
// (or of the --param values). It says so, naming the swept values, instead of leaving the user to think
// every variant was exported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moe, tempDir, writePipeline } from '../cli/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('export of a swept pipeline names the sweep it did not export and how to export a variant', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'images'));
  const text = readFileSync(join(ROOT, 'pipelines', 'ssd1b.yaml'), 'utf8');
  writePipeline(dir, `${text}sweep:\n  strength: [0.2, 0.35, 0.5]\n`, 'ssd1b.yaml');
  const data = `data=${join(dir, 'images')}`;
  const r = moe(['export', 'simpletuner', 'ssd1b.yaml', '-o', 'out', '--param', data], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /note: the pipeline's sweep is not exported: these configs are for strength=0\.35; export each variant with --param \(e\.g\. --param strength=0\.2\)/,
  );
  const config = JSON.parse(readFileSync(join(dir, 'out', 'base', 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.equal(config['refiner_training_strength'], 0.35);
  const one = moe(
    ['export', 'simpletuner', 'ssd1b.yaml', '-o', 'one', '--param', data, '--param', 'strength=0.2'],
    dir,
  );
  assert.equal(one.code, 0, one.stderr);
  assert.doesNotMatch(one.stderr, /note: the pipeline's sweep/);
  assert.ok(existsSync(join(dir, 'one', 'refiner', 'config.json')));
});
