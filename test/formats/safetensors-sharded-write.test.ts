import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openCheckpoint,
  readAllTensors,
  writeSafetensors,
  writeShardedSafetensors,
} from '../../src/formats/safetensors.js';

test('a checkpoint over the shard limit is split in name order with an index; under it, one file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-st-shard-'));
  const fetched: string[] = [];
  const lazy = (name: string, values: number[]) => ({
    name,
    dtype: 'F32' as const,
    shape: [values.length],
    read: async () => {
      fetched.push(name);
      return Float32Array.from(values);
    },
  });
  const tensors = [lazy('c', [5, 6]), lazy('a', [1, 2]), lazy('b', [3, 4])];
  const r = await writeShardedSafetensors(dir, 'diffusion_pytorch_model', tensors, { maxShardBytes: 16 });
  assert.deepEqual(r.files, [
    'diffusion_pytorch_model-00001-of-00002.safetensors',
    'diffusion_pytorch_model-00002-of-00002.safetensors',
    'diffusion_pytorch_model.safetensors.index.json',
  ]);
  assert.equal(r.totalBytes, 24);
  assert.deepEqual(fetched, ['a', 'b', 'c']);
  const index = JSON.parse(await readFile(join(dir, r.files[2]!), 'utf8')) as unknown;
  assert.deepEqual(index, {
    metadata: { total_size: 24 },
    weight_map: {
      a: 'diffusion_pytorch_model-00001-of-00002.safetensors',
      b: 'diffusion_pytorch_model-00001-of-00002.safetensors',
      c: 'diffusion_pytorch_model-00002-of-00002.safetensors',
    },
  });
  const back = await openCheckpoint(dir);
  assert.ok(back.ok, back.ok ? '' : back.error.message);
  const all = await readAllTensors(back.value);
  assert.deepEqual(Object.fromEntries([...all].map(([k, v]) => [k, [...v]])), {
    a: [1, 2],
    b: [3, 4],
    c: [5, 6],
  });
  await back.value.close();

  const single = await mkdtemp(join(tmpdir(), 'moe-st-single-'));
  const one = await writeShardedSafetensors(single, 'model', [lazy('a', [1])]);
  assert.deepEqual(one.files, ['model.safetensors']);
});

test('a lazy tensor whose data does not match its shape fails the write and leaves nothing behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-st-lazy-'));
  await assert.rejects(
    writeSafetensors(join(dir, 'x.safetensors'), [
      { name: 'w', dtype: 'F32', shape: [3], read: async () => new Float32Array(2) },
    ]),
    /tensor "w": shape \[3\] × F32 needs 12 bytes, data has 8/,
  );
  assert.deepEqual(await readdir(dir), []);
  await assert.rejects(
    writeSafetensors(join(dir, 'x.safetensors'), [
      { name: '__metadata__', shape: [1], data: new Float32Array(1) },
    ]),
    /"__metadata__" is reserved/,
  );
});
