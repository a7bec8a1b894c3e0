// Pipeline texts are read, decoded and hashed in blocks (src/util/small-blocks.ts, read-text.ts): the
// text and digests must be exactly those of reading and hashing the file whole, whatever falls on a
// block's edge (a character of several bytes, a surrogate pair, a byte-order mark).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPipelineText } from '../../src/pipeline/read-text.js';
import { BLOCK_BYTES, readTextInBlocks, scanInBlocks, updateInBlocks } from '../../src/util/small-blocks.js';

/** A text of about `bytes` UTF-8 bytes mixing one-, two-, three- and four-byte characters. */
function mixedText(bytes: number, offset: number): string {
  const pieces = ['a', 'é', '—', '😀', 'line\n', 'ß', '中'];
  const parts = ['x'.repeat(offset)];
  for (let i = 0, size = offset; size < bytes; i++) {
    const piece = pieces[i % pieces.length] ?? '';
    parts.push(piece);
    size += Buffer.byteLength(piece);
  }
  return parts.join('');
}

test('a text hashed in blocks has the digest of the text hashed whole', () => {
  // Offsets move every kind of character, surrogate pairs included, across the blocks' edges.
  for (const offset of [0, 1, 2, 3]) {
    const text = mixedText(3 * BLOCK_BYTES, offset);
    const whole = createHash('sha256').update(text).digest('hex');
    assert.equal(updateInBlocks(createHash('sha256'), text).digest('hex'), whole, `offset ${offset}`);
  }
  const short = 'version: 1\n';
  assert.equal(
    updateInBlocks(createHash('sha256'), short).digest('hex'),
    createHash('sha256').update(short).digest('hex'),
  );
});

test('a file read in blocks is the file decoded whole, its byte-order mark dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-read-blocks-'));
  try {
    for (const offset of [0, 1, 2, 3]) {
      const text = mixedText(5 * BLOCK_BYTES + 17, offset);
      const file = join(dir, `p${offset}.yaml`);
      writeFileSync(file, `\uFEFF${text}`);
      assert.equal(await readPipelineText(file, 10 * 1024 * 1024), text, `offset ${offset}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a byte that is not UTF-8 past the first block is still found and placed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-read-blocks-'));
  try {
    const file = join(dir, 'bad.yaml');
    const before = `${'# comment line\n'.repeat(Math.ceil((2 * BLOCK_BYTES) / 15))}name: caf`;
    writeFileSync(file, Buffer.concat([Buffer.from(before), Buffer.from([0xe9]), Buffer.from('\n')]));
    const read = await readPipelineText(file, 10 * 1024 * 1024);
    assert.notEqual(typeof read, 'string');
    if (typeof read === 'string') return;
    assert.equal(read.diagnostic.message, 'the file is not valid UTF-8 text (byte 0xE9); save it as UTF-8');
    const line = before.split('\n').length;
    assert.deepEqual(read.diagnostic.range?.start, { line, column: 10, offset: before.length });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file read and scanned in blocks gives the same text and lines as the file read whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-read-blocks-'));
  try {
    // Lines of every length up to twice a block, so that some cross one or two blocks' edges.
    const lines: string[] = [];
    for (let i = 0; lines.join('\n').length < 4 * BLOCK_BYTES; i++)
      lines.push(`${i}:${'é—😀x'.repeat((i * 977) % (BLOCK_BYTES / 2))}`);
    const text = `\uFEFF${lines.join('\n')}\nunfinished`;
    const file = join(dir, 'lines.txt');
    writeFileSync(file, text);
    assert.equal(readTextInBlocks(file), readFileSync(file, 'utf8'));
    const bytes = readFileSync(file);
    const seen: string[] = [];
    const rest = scanInBlocks(file, (block, at) => {
      let start = 0;
      for (let end = block.indexOf(10); end >= 0; end = block.indexOf(10, start)) {
        // Each line's offsets in the file must hold the same bytes.
        assert.ok(bytes.subarray(at + start, at + end).equals(block.subarray(start, end)));
        seen.push(block.toString('utf8', start, end));
        start = end + 1;
      }
      return start;
    });
    assert.deepEqual(seen, text.split('\n').slice(0, -1));
    assert.equal(rest.toString('utf8'), 'unfinished');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
