import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  dropIncompleteCheckpoints,
  latestCheckpoint,
  listCheckpoints,
} from '../../src/steps/train/simpletuner/checkpoints.js';
import { parseProgressLine, toProgressUpdate } from '../../src/steps/train/simpletuner/progress.js';

test('parses SimpleTuner progress lines', () => {
  const line =
    'Epoch 1/40, Steps:   2%|▏         | 160/7600 [01:02<48:11, 2.57it/s, step_loss=5.16e-5, lr=9.89e-5]';
  assert.deepEqual(parseProgressLine(line), {
    epoch: 1,
    epochs: 40,
    step: 160,
    total: 7600,
    loss: 5.16e-5,
    lr: 9.89e-5,
  });
  const u = toProgressUpdate(parseProgressLine(line)!);
  assert.equal(u.done, 160);
  assert.equal(u.total, 7600);
  assert.deepEqual(u.metrics, { loss: 5.16e-5, lr: 9.89e-5 });
  assert.deepEqual(parseProgressLine('Steps:   0%|          | 0/10 [00:00<?, ?it/s]'), {
    step: 0,
    total: 10,
  });
  assert.equal(parseProgressLine('(id=images) Loaded 120 images'), undefined);
});

test('only complete checkpoints count; incomplete ones are removed before resuming', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-st-ckpt-'));
  for (const [n, marker] of [
    [100, '.guard'],
    [200, 'training_state.json'],
    [300, undefined],
  ] as const) {
    mkdirSync(join(dir, `checkpoint-${n}`, 'unet'), { recursive: true });
    if (marker) writeFileSync(join(dir, `checkpoint-${n}`, marker), '{}');
  }
  mkdirSync(join(dir, 'checkpoint-notes'));
  assert.deepEqual(
    listCheckpoints(dir).map((c) => c.step),
    [100, 200],
  );
  assert.equal(latestCheckpoint(dir)?.step, 200);
  assert.equal(dropIncompleteCheckpoints(dir), 1);
  assert.equal(existsSync(join(dir, 'checkpoint-300')), false);
  assert.equal(latestCheckpoint(join(dir, 'nope')), undefined);
});
