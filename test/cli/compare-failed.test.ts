// `moe compare` after a sweep in which a variant's node failed: the variant is named as failed, with the
// error and its log, not as "not finished; run the sweep again", which would only fail the same way; in
// --json too, by each variant's state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moe, tempDir, writePipeline } from './helpers.js';

const PIPELINE = `version: 1
name: cf
params:
  x: 1
sweep:
  x: [1, 2, 3]
objective: { node: score, metric: loss }
nodes:
  score:
    step: command
    with:
      run: |
        if [ ${'${{ params.x }}'} = 3 ]; then exit 3; fi
        echo '{"loss": ${'${{ params.x }}'}}' > "$MOE_METRICS"
        echo > "$MOE_OUT/r.txt"
      outputs: { r: r.txt }
`;

test('a variant whose node failed in the sweep is reported as failed, with the error and the log', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  const run = moe(['run', 'p.yaml'], dir);
  assert.equal(run.code, 1, run.stdout + run.stderr);

  const table = moe(['compare', 'p.yaml'], dir);
  assert.equal(table.code, 0, table.stderr);
  assert.match(
    table.stdout,
    /^x=3: failed in the last run of the sweep: score\[x=3\]: command exited with code 3 \(log: .*score_x_3_\.log\); fix it, then run the sweep again$/m,
    table.stdout,
  );
  assert.doesNotMatch(table.stdout, /x=3: not finished/);

  // --json says each variant's state: a failed one (its error and log) apart from one not run yet,
  // and both apart from a finished one with no metrics.
  const json = JSON.parse(moe(['compare', 'p.yaml', '--json', '--sweep', 'x=1,3,4'], dir).stdout) as {
    variants: {
      params: { x: number };
      state: string;
      metrics: object;
      missing?: string[];
      failed?: { node: string; error: string; logFile?: string }[];
    }[];
  };
  const byX = new Map(json.variants.map((v) => [v.params.x, v]));
  assert.equal(byX.get(1)?.state, 'finished');
  assert.equal(byX.get(1)?.missing, undefined);
  assert.equal(byX.get(3)?.state, 'failed');
  assert.deepEqual(byX.get(3)?.missing, ['score[x=3]']);
  assert.equal(byX.get(3)?.failed?.[0]?.error, 'command exited with code 3');
  assert.match(byX.get(3)?.failed?.[0]?.logFile ?? '', /score_x_3_\.log$/);
  assert.deepEqual(byX.get(4), {
    params: { x: 4 },
    state: 'unfinished',
    metrics: {},
    outputs: {},
    missing: ['score[x=4]'],
  });

  const page = join(dir, 'c.html');
  assert.equal(moe(['compare', 'p.yaml', '--html', page], dir).code, 0);
  assert.match(
    readFileSync(page, 'utf8'),
    /x=3 failed in the last run of the sweep: score\[x=3\]: command exited with code 3/,
  );
});

test('compare --html naming the pipeline file is refused, and the pipeline kept', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  assert.equal(moe(['run', 'p.yaml'], dir).code, 1);
  const r = moe(['compare', 'p.yaml', '--html', './p.yaml'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /cannot write \.\/p\.yaml: it is the pipeline file; give the page its own name, e\.g\. sweep\.html/,
  );
  assert.equal(readFileSync(join(dir, 'p.yaml'), 'utf8'), PIPELINE);
});
