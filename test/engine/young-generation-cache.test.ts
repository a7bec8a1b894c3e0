// A pipeline read from the loaded-pipeline cache leaves the young generation at its size, as a load of the
// file does (src/engine/open.ts): 10,000 nodes read from the cache took it to 32 MB, the most of a cold
// run right after `moe plan`. One process per test file: the flag this sets is the process's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { catalogueSteps } from '../../src/app/steps.js';
import { openPipeline } from '../../src/engine/open.js';
import { youngBytes } from '../../src/util/young-generation.js';
import { layeredPipeline, tempDir, writePipeline } from '../pipeline/fixtures.js';

test('a large pipeline read from the cache does not grow the young generation', async () => {
  const dir = tempDir();
  const file = writePipeline(dir, 'big.yaml', layeredPipeline(50, 100));
  const cacheDir = join(dir, 'cache');
  const first = await openPipeline(file, { steps: catalogueSteps, cacheDir });
  assert.ok(first.ok);
  const before = youngBytes();
  const again = await openPipeline(file, { steps: catalogueSteps, cacheDir });
  assert.ok(again.ok);
  assert.equal(again.value.pipeline.nodes.size, 5000);
  assert.ok(youngBytes() <= before, `held at ${before / 2 ** 20} MB, now ${youngBytes() / 2 ** 20} MB`);
});
