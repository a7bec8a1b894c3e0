// `moe run` writes a loaded pipeline to the workspace's cache once its first job is out (not before it,
// so a cold run's first job does not wait), and at the end of a run where no job started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { helloPipeline, moe, tempDir, writePipeline } from './helpers.js';

const cached = (ws: string): string[] => readdirSync(join(ws, 'cache', 'pipelines'));

test('moe run leaves the loaded pipeline in the cache, also when every node was cached', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const file = writePipeline(dir, helloPipeline('cache-write'));
  const ws = join(dir, '.moe');
  const first = moe(['run', file], dir);
  assert.equal(first.code, 0, first.stderr);
  const written = cached(ws);
  assert.equal(written.length, 1, `one cache file, no temporary one: ${written.join(' ')}`);
  assert.match(written[0] ?? '', /\.json$/);
  // A rerun with nothing to run starts no job: the cache is written when the run ends.
  rmSync(join(ws, 'cache', 'pipelines'), { recursive: true });
  const second = moe(['run', file], dir);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(cached(ws), written);
});
