import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTinyFamily } from '../../src/models/tiny/index.js';
import { DigestMemo } from '../../src/workflow/digest.js';
import { prepareExpert } from '../../src/workflow/unet.js';

test('a diffusers UNet is converted to ONNX once and found in the cache afterwards', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moe-unet-'));
  const model = join(root, 'model');
  const made = await generateTinyFamily(model, { seed: 4 });
  assert.ok(made.ok);
  const cache = { dir: join(root, 'shared'), memo: new DigestMemo(join(root, 'shared', 'digests.json')) };
  const first = await prepareExpert(join(model, 'unet'), join(root, 'scratch1'), cache);
  assert.ok(first.ok, first.ok ? '' : first.error);
  assert.equal(first.value.timeIds, 6);
  const built = (await stat(first.value.onnx)).mtimeMs;
  const second = await prepareExpert(join(model, 'unet'), join(root, 'scratch2'), cache);
  assert.ok(second.ok);
  assert.equal(second.value.onnx, first.value.onnx);
  assert.equal((await stat(second.value.onnx)).mtimeMs, built, 'not converted again');
  assert.deepEqual(await readdir(join(root, 'shared', 'unet-onnx')).then((d) => d.length), 1);

  const missing = await prepareExpert(join(root, 'nowhere'), join(root, 'scratch3'), cache);
  assert.ok(!missing.ok);
  assert.match(missing.error, /no such UNet/);
});
