// `moe compare` of a sweep with an `include:` entry that adds a parameter to some variants only: the
// others ran with that parameter's default, and the table says which value, not a gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = `version: 1
name: inc
params:
  strength: 0.35
  sampler: unipc
sweep:
  strength: [0.25, 0.5]
  include:
    - { strength: 0.25, sampler: ddim }
nodes:
  sample:
    step: command
    with:
      run: echo \${{ params.strength }} \${{ params.sampler }} > "$MOE_OUT/o.txt"
      outputs: { o: o.txt }
`;

test('a variant an include entry did not extend shows the default it ran with, in the table and --json', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  assert.equal(moe(['run', 'p.yaml'], dir).code, 0);
  const json = JSON.parse(moe(['compare', 'p.yaml', '--json'], dir).stdout) as {
    variants: { params: Record<string, unknown> }[];
  };
  const params = json.variants.map((v) => v.params);
  assert.deepEqual(
    params.find((p) => p['strength'] === 0.5),
    { strength: 0.5, sampler: 'unipc' },
    JSON.stringify(params),
  );
  assert.deepEqual(
    params.find((p) => p['strength'] === 0.25),
    { strength: 0.25, sampler: 'ddim' },
  );
  const table = moe(['compare', 'p.yaml'], dir).stdout;
  assert.match(table, /^\s*0\.5\s+unipc\b/m, table);
});
