import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelsTinyStep } from '../../src/steps/models/tiny.js';
import type { ProgressUpdate, StepContext } from '../../src/contract/step.js';
import type { ModelsTinyWith } from '../../src/steps/models/tiny.js';

test('the models.tiny step writes the family as its model output and summarises it', async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'moe-tiny-step-'));
  const progress: ProgressUpdate[] = [];
  const ctx = {
    nodeId: 'tiny',
    with: { seed: 2 },
    outDir,
    signal: new AbortController().signal,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    progress: (u: ProgressUpdate) => progress.push(u),
  } as unknown as StepContext<ModelsTinyWith>;
  assert.deepEqual(modelsTinyStep.outputs({}), { model: 'model' });
  const result = await modelsTinyStep.run(ctx);
  assert.equal(result?.summary?.['seed'], 2);
  assert.equal(result?.summary?.['files'], 21);
  assert.ok((await readdir(join(outDir, 'model'))).includes('unet'));
  assert.equal(progress.at(-1)?.done, 1);
});
