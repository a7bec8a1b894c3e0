import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors } from '../../src/formats/safetensors.js';

/** A file from a raw header text, an explicit header length (when lying about it) and a data size. */
function file(header: string, dataBytes: number, lengthOverride?: bigint): Buffer {
  const h = Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(h.byteLength));
  return Buffer.concat([prefix, h, Buffer.alloc(dataBytes)]);
}

/** A file whose header is the given raw bytes (which need not be UTF-8). */
function rawFile(header: Buffer): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.byteLength));
  return Buffer.concat([prefix, header]);
}

const t = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
const hdr = (o: unknown) => JSON.stringify(o);

// Each case: the file's bytes, the expected reason, and the message after "<path>: ".
const corpus: { name: string; bytes: Buffer; reason: string; message: RegExp }[] = [
  {
    name: 'empty file',
    bytes: Buffer.alloc(0),
    reason: 'header-size',
    message: /^file is 0 bytes; a safetensors file starts with an 8-byte header length$/,
  },
  { name: 'short file', bytes: Buffer.alloc(5), reason: 'header-size', message: /^file is 5 bytes/ },
  {
    name: 'header length 0',
    bytes: file('', 0),
    reason: 'header-size',
    message: /^header length 0 is below the minimum of 2 bytes$/,
  },
  {
    name: 'huge header length',
    bytes: file('{}', 0, 2n ** 60n),
    reason: 'header-size',
    message: /^header length 1152921504606846976 exceeds the limit of 100000000 bytes$/,
  },
  {
    name: 'header past end of file',
    bytes: file('{}', 0, 4000n),
    reason: 'header-size',
    message: /^header length 4000 runs past the end of the file \(10 bytes, 2 after the length\)$/,
  },
  {
    name: 'not JSON',
    bytes: file('{"a": nope}', 0),
    reason: 'header-json',
    message: /^header is not valid JSON/,
  },
  {
    name: 'JSON array',
    bytes: file('[1, 2]  ', 0),
    reason: 'header-json',
    message: /^header does not start with "\{": not a JSON object$/,
  },
  {
    name: 'invalid UTF-8',
    bytes: rawFile(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
    reason: 'header-json',
    message: /^header is not valid UTF-8$/,
  },
  {
    name: 'metadata not strings',
    bytes: file(hdr({ __metadata__: { format: 1 } }), 0),
    reason: 'metadata',
    message: /^__metadata__ value for "format" is not a string$/,
  },
  {
    name: 'metadata array',
    bytes: file(hdr({ __metadata__: ['pt'] }), 0),
    reason: 'metadata',
    message: /^__metadata__ is not an object of strings$/,
  },
  {
    name: 'entry not object',
    bytes: file(hdr({ w: 3 }), 0),
    reason: 'tensor',
    message: /^tensor "w": entry is not an object$/,
  },
  {
    name: 'unknown dtype',
    bytes: file(hdr({ w: t('F4', [1], [0, 1]) }), 1),
    reason: 'tensor',
    message: /^tensor "w": unknown dtype "F4" \(expected one of BOOL, U8/,
  },
  {
    name: 'negative dim',
    bytes: file(hdr({ w: t('F32', [-1, 2], [0, 8]) }), 8),
    reason: 'tensor',
    message: /^tensor "w": shape \[-1,2\] has a dimension that is not a non-negative integer$/,
  },
  {
    name: 'fractional dim',
    bytes: file(hdr({ w: t('F32', [1.5], [0, 4]) }), 4),
    reason: 'tensor',
    message: /^tensor "w": shape \[1\.5\] has a dimension/,
  },
  {
    name: 'shape not array',
    bytes: file(hdr({ w: t('F32', '4', [0, 16]) }), 16),
    reason: 'tensor',
    message: /^tensor "w": shape is not an array$/,
  },
  {
    name: 'offsets not a pair',
    bytes: file(hdr({ w: t('F32', [1], [0]) }), 4),
    reason: 'tensor',
    message: /^tensor "w": data_offsets \[0\] is not a pair of non-negative integers$/,
  },
  {
    name: 'offsets reversed',
    bytes: file(hdr({ w: t('F32', [0], [4, 0]) }), 4),
    reason: 'tensor',
    message: /^tensor "w": data_offsets \[4, 0\] end before they begin$/,
  },
  {
    name: 'offsets out of bounds',
    bytes: file(hdr({ w: t('F32', [4], [0, 16]) }), 8),
    reason: 'tensor',
    message: /^tensor "w": data_offsets \[0, 16\] run past the data region \(8 bytes\)$/,
  },
  {
    name: 'size mismatch',
    bytes: file(hdr({ w: t('F32', [2, 3], [0, 16]) }), 16),
    reason: 'tensor',
    message: /^tensor "w": shape \[2,3\] × F32 \(4 bytes\) is 24 bytes but data_offsets \[0, 16\] hold 16$/,
  },
  {
    name: 'overflowing shape',
    bytes: file(hdr({ w: t('F64', [2 ** 40, 2 ** 40], [0, 8]) }), 8),
    reason: 'tensor',
    message: /^tensor "w": shape \[1099511627776,1099511627776\] is too large$/,
  },
  {
    name: 'overlap',
    bytes: file(hdr({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [4, 12]) }), 12),
    reason: 'layout',
    message: /^tensor "b": data_offsets \[4, 12\] overlap tensor "a" \(which ends at 8\)$/,
  },
  {
    name: 'gap',
    bytes: file(hdr({ a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }), 12),
    reason: 'layout',
    message: /^tensor "b": gap of 4 bytes between tensor "a" and this tensor$/,
  },
  {
    name: 'gap at start',
    bytes: file(hdr({ a: t('U8', [1], [3, 4]) }), 4),
    reason: 'layout',
    message: /^tensor "a": gap of 3 bytes between the start of the data region and this tensor$/,
  },
  {
    name: 'trailing bytes',
    bytes: file(hdr({ a: t('U8', [2], [0, 2]) }), 6),
    reason: 'layout',
    message: /^tensors cover 2 bytes of a 6-byte data region: 4 trailing bytes belong to no tensor$/,
  },
];

test('hostile and broken files each get their own clear error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-st-bad-'));
  for (const c of corpus) {
    const path = join(dir, `${c.name.replaceAll(' ', '-')}.safetensors`);
    await writeFile(path, c.bytes);
    const r = await openSafetensors(path);
    assert.ok(!r.ok, `${c.name}: expected an error`);
    assert.equal(r.error.reason, c.reason, `${c.name}: ${r.error.message}`);
    assert.ok(r.error.message.startsWith(`${path}: `), r.error.message);
    assert.match(r.error.message.slice(path.length + 2), c.message, c.name);
  }
});

test('a missing file and a directory are I/O errors, not exceptions', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-st-io-'));
  const missing = await openSafetensors(join(dir, 'nope.safetensors'));
  assert.ok(!missing.ok && missing.error.reason === 'io' && /: no such file$/.test(missing.error.message));
  const isDir = await openSafetensors(dir);
  assert.ok(!isDir.ok && isDir.error.reason === 'io');
});

test('an empty header object and zero-size tensors are valid', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'moe-st-ok-'));
  const path = join(dir, 'ok.safetensors');
  await writeFile(path, file(hdr({ e: t('F32', [0, 3], [0, 0]), a: t('U8', [1], [0, 1]) }) + '  ', 1));
  const r = await openSafetensors(path);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.value.tensors.size, 2);
  await r.value.close();
});
