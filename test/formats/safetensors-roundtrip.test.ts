import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openSafetensors,
  openShardedSafetensors,
  openCheckpoint,
  readAllTensors,
  writeSafetensors,
  f16ToF32,
  f32ToF16,
  bf16ToF32,
  f32ToBf16,
} from '../../src/formats/safetensors.js';

const tmp = () => mkdtemp(join(tmpdir(), 'moe-st-'));

test('round trip keeps every dtype, shape, value and the metadata', async () => {
  const dir = await tmp();
  const path = join(dir, 'a.safetensors');
  await writeSafetensors(
    path,
    [
      { name: 'z.f32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -7]) },
      { name: 'a.i64', shape: [3], data: BigInt64Array.from([1n, -2n, 9007199254740993n]) },
      { name: 'm.f64', shape: [1], data: Float64Array.from([Math.PI]) },
      { name: 'b.bool', dtype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) },
      { name: 'c.i32', shape: [2, 1], data: Int32Array.from([-5, 6]) },
      { name: 'd.i16', shape: [1], data: Int16Array.from([-300]) },
      { name: 'e.i8', shape: [1], data: Int8Array.from([-3]) },
      { name: 'f.u8', shape: [0, 4], data: new Uint8Array(0) },
      { name: 'g.f16', dtype: 'F16', shape: [3], data: Float32Array.from([1.5, -0.099975586, 65504]) },
      { name: 'h.bf16', dtype: 'BF16', shape: [2], data: Float32Array.from([3, -1.0078125]) },
      { name: 's.scalar', shape: [], data: Float32Array.from([42]) },
    ],
    { format: 'pt', note: 'hello' },
  );
  const r = await openSafetensors(path);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const st = r.value;
  assert.deepEqual(st.metadata, { format: 'pt', note: 'hello' });
  assert.deepEqual([...st.tensors.keys()].sort(), [
    'a.i64',
    'b.bool',
    'c.i32',
    'd.i16',
    'e.i8',
    'f.u8',
    'g.f16',
    'h.bf16',
    'm.f64',
    's.scalar',
    'z.f32',
  ]);
  assert.deepEqual([...(await st.read('z.f32'))], [...Float32Array.from([1, -2, 3.5, 0, 1e-30, -7])]);
  assert.deepEqual([...(await st.read('a.i64'))], [1n, -2n, 9007199254740993n]);
  assert.ok((await st.read('a.i64')) instanceof BigInt64Array);
  assert.deepEqual([...(await st.read('m.f64'))], [Math.PI]);
  assert.deepEqual([...(await st.read('b.bool'))], [1, 0]);
  assert.deepEqual([...(await st.read('c.i32'))], [-5, 6]);
  assert.deepEqual([...(await st.read('d.i16'))], [-300]);
  assert.deepEqual([...(await st.read('e.i8'))], [-3]);
  assert.equal((await st.read('f.u8')).length, 0);
  assert.deepEqual(st.tensors.get('f.u8')?.shape, [0, 4]);
  const half = await st.read('g.f16');
  assert.ok(half instanceof Float32Array);
  assert.deepEqual(
    [...half],
    [1.5, -0.099975586, 65504].map((x) => Math.fround(x)),
  );
  assert.deepEqual([...(await st.read('h.bf16'))], [3, -1.0078125]);
  assert.ok((await st.read('g.f16', { raw: true })) instanceof Uint16Array);
  assert.deepEqual(st.tensors.get('g.f16')?.dtype, 'F16');
  assert.deepEqual([...(await st.read('s.scalar'))], [42]);
  await st.close();

  // Name order in the header and data region, 8-byte aligned data start, space padding.
  const bytes = await readFile(path);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const header = bytes.subarray(8, 8 + n).toString('utf8');
  assert.match(header, /^\{"__metadata__":\{"format":"pt","note":"hello"\},"a\.i64":/);
  assert.match(header, /\} *$/);
  const offsets = Object.entries(JSON.parse(header) as Record<string, { data_offsets?: number[] }>)
    .filter(([k]) => k !== '__metadata__')
    .map(([, v]) => v.data_offsets?.[0] ?? -1);
  assert.deepEqual(
    offsets,
    [...offsets].sort((a, b) => a - b),
  );
  // No temp file left behind.
  assert.deepEqual(await readdir(dir), ['a.safetensors']);
});

test('writing the same tensors in any order gives identical bytes', async () => {
  const dir = await tmp();
  const a = { name: 'a', shape: [2], data: Float32Array.from([1, 2]) };
  const b = { name: 'b', shape: [1], data: Int32Array.from([3]) };
  await writeSafetensors(join(dir, '1.safetensors'), [a, b]);
  await writeSafetensors(join(dir, '2.safetensors'), [b, a]);
  assert.deepEqual(await readFile(join(dir, '1.safetensors')), await readFile(join(dir, '2.safetensors')));
});

test('writer refuses data that does not match its shape, and duplicate names', async () => {
  const dir = await tmp();
  await assert.rejects(
    writeSafetensors(join(dir, 'x.safetensors'), [{ name: 'w', shape: [3], data: new Float32Array(2) }]),
    /tensor "w": shape \[3\] × F32 needs 12 bytes, data has 8/,
  );
  await assert.rejects(
    writeSafetensors(join(dir, 'x.safetensors'), [
      { name: 'w', shape: [1], data: new Float32Array(1) },
      { name: 'w', shape: [1], data: new Float32Array(1) },
    ]),
    /duplicate tensor name "w"/,
  );
  assert.deepEqual(await readdir(dir), []);
});

test('half conversions round to nearest even and keep specials', () => {
  assert.equal(f16ToF32(f32ToF16(1 + 2 ** -11)), 1); // a tie rounds to the even mantissa
  assert.equal(f16ToF32(f32ToF16(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
  assert.equal(f16ToF32(f32ToF16(70000)), Infinity);
  assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
  assert.equal(f16ToF32(f32ToF16(2 ** -24)), 2 ** -24); // smallest subnormal
  assert.equal(f16ToF32(f32ToF16(-0.5)), -0.5);
  assert.equal(bf16ToF32(f32ToBf16(1 + 2 ** -8)), 1);
  assert.equal(bf16ToF32(f32ToBf16(1 + 3 * 2 ** -8)), 1 + 2 ** -6);
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(NaN))));
});

test('sharded checkpoints read through their index; a bad index is a clear error', async () => {
  const dir = await tmp();
  await writeSafetensors(join(dir, 'm-00001-of-00002.safetensors'), [
    { name: 'a', shape: [1], data: Float32Array.from([1]) },
  ]);
  await writeSafetensors(join(dir, 'm-00002-of-00002.safetensors'), [
    { name: 'b', shape: [2], data: Float32Array.from([2, 3]) },
  ]);
  const index = join(dir, 'diffusion_pytorch_model.safetensors.index.json');
  await writeFile(
    index,
    JSON.stringify({
      metadata: { total_size: 12 },
      weight_map: { a: 'm-00001-of-00002.safetensors', b: 'm-00002-of-00002.safetensors' },
    }),
  );
  const r = await openCheckpoint(dir);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.deepEqual([...r.value.tensors.keys()], ['a', 'b']);
  assert.deepEqual(r.value.metadata, { total_size: '12' });
  assert.deepEqual(Object.fromEntries([...(await readAllTensors(r.value))].map(([k, v]) => [k, [...v]])), {
    a: [1],
    b: [2, 3],
  });
  await r.value.close();

  await writeFile(index, JSON.stringify({ weight_map: { a: 'm-00002-of-00002.safetensors' } }));
  const wrong = await openShardedSafetensors(index);
  assert.ok(!wrong.ok);
  assert.equal(wrong.error.reason, 'index');
  assert.match(
    wrong.error.message,
    /tensor "a": the index places it in .*m-00002-of-00002\.safetensors, which does not hold it/,
  );

  await writeFile(index, JSON.stringify({ weight_map: { a: '../../etc/passwd' } }));
  const escape = await openShardedSafetensors(index);
  assert.ok(!escape.ok);
  assert.match(
    escape.error.message,
    /tensor "a": shard "\.\.\/\.\.\/etc\/passwd" is outside the index's folder/,
  );

  const missing = await openCheckpoint(await tmp());
  assert.ok(!missing.ok);
  assert.match(missing.error.message, /diffusion_pytorch_model\.safetensors: no such file/);
});
