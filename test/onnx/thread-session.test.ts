import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openSession, ort } from '../../src/onnx/index.js';
import { SessionThread } from '../../src/onnx/thread-session.js';
import { tempRoot, tinyModel } from '../steps/diffusion/helpers.js';

test('SessionThread: a session on its own thread has the same inputs and outputs and computes the same bits', async () => {
  const root = await tempRoot();
  const path = join(await tinyModel(root, 3), 'vae_decoder', 'model.onnx');
  const here = await openSession(path, { threads: 1 });
  assert.ok(here.ok);
  const thread = new SessionThread({ threads: 1 });
  try {
    const there = await thread.open(path);
    assert.deepEqual(there.inputMetadata, here.value.inputMetadata);
    assert.deepEqual(there.outputMetadata, here.value.outputMetadata);
    assert.deepEqual(there.inputNames, here.value.inputNames);
    const input = here.value.inputMetadata[0];
    assert.ok(input?.isTensor);
    const data = Float32Array.from({ length: 2 * 4 * 4 * 4 }, (_, i) => Math.sin(i));
    const feeds = { [input.name]: new ort.Tensor('float32', data, [2, 4, 4, 4]) };
    // Two runs on the thread at once, and one here meanwhile.
    const [x, y] = await Promise.all([there.run(feeds), there.run(feeds), here.value.run(feeds)]);
    const want = await here.value.run(feeds);
    for (const got of [x, y]) {
      const name = Object.keys(want)[0] as string;
      assert.deepEqual(got?.[name]?.dims, want[name]?.dims);
      assert.deepEqual(got?.[name]?.data, want[name]?.data);
    }
    await there.release();
    await assert.rejects(there.run(feeds), /session used after release/);
    await assert.rejects(
      thread.open(join(root, 'missing.onnx')),
      /onnxruntime could not load .*missing\.onnx/,
    );
  } finally {
    await here.value.release();
    await thread.close();
  }
  await assert.rejects(thread.open(path), /the session thread was closed/);
});
