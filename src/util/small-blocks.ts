/**
 * Large texts handled in blocks below glibc's mmap threshold.
 *
 * glibc serves a `malloc` of 128 KiB or more with its own `mmap` and gives it back to the system on
 * `free`, but the first time such a block is freed it raises that threshold to the block's size (and the
 * size at which it trims its heap to twice that), for good. Hashing a 1.4 MB pipeline text in one
 * `update` makes Node encode it into a 4 MB buffer (three bytes a character, the most UTF-8 can take);
 * freed, it moved the threshold to 4 MB, and from then on every buffer up to 4 MB the run allocated and
 * freed (V8's compiler zones, I/O buffers) stayed in the process's heap: 8 MB more resident memory at
 * 10,000 nodes than at 1000. Reading and hashing in blocks of at most `BLOCK_BYTES` keeps each buffer
 * under the threshold, where glibc reuses it.
 */
import type { Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { TextDecoder } from 'node:util';

/** Bytes a block may take: half of glibc's default mmap threshold (128 KiB). */
export const BLOCK_BYTES = 64 * 1024;

/** UTF-16 units a text block may have so that its UTF-8 (at most 3 bytes a unit) fits in `BLOCK_BYTES`. */
const BLOCK_UNITS = Math.floor(BLOCK_BYTES / 3);

/** `hash.update(text)`, in blocks: the same digest, without one buffer three times the text's length. */
export function updateInBlocks(hash: Hash, text: string): Hash {
  if (text.length <= BLOCK_UNITS) return hash.update(text);
  for (let i = 0; i < text.length;) {
    let end = Math.min(text.length, i + BLOCK_UNITS);
    // A surrogate pair is one character: never split it across blocks (each half alone would encode
    // as U+FFFD).
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    hash.update(text.slice(i, end));
    i = end;
  }
  return hash;
}

/**
 * Reads a file's bytes a block at a time: `scan` gets the bytes not yet taken (what an earlier call left,
 * then the next block) and the offset in the file of their first byte, and says how many of them it took
 * (those up to its last whole line, say); the rest is handed to it again with the next block. Returns the
 * bytes left untaken at the end. Throws what reading throws.
 */
export function scanInBlocks(path: string, scan: (bytes: Buffer, at: number) => number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const block = Buffer.allocUnsafe(BLOCK_BYTES);
    let rest = Buffer.alloc(0);
    let at = 0;
    for (;;) {
      const read = readSync(fd, block, 0, block.length, null);
      if (read === 0) return rest;
      const bytes =
        rest.length === 0 ? block.subarray(0, read) : Buffer.concat([rest, block.subarray(0, read)]);
      const taken = scan(bytes, at);
      at += taken;
      rest = Buffer.from(bytes.subarray(taken));
    }
  } finally {
    closeSync(fd);
  }
}

/** `readFileSync(path, 'utf8')`, a block at a time (invalid bytes become U+FFFD, as there). */
export function readTextInBlocks(path: string): string {
  // `ignoreBOM`: a byte-order mark stays in the text, as readFileSync leaves it.
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  const pieces: string[] = [];
  const step = BLOCK_BYTES / 4;
  scanInBlocks(path, (bytes) => {
    for (let at = 0; at < bytes.length; at += step)
      pieces.push(utf8.decode(bytes.subarray(at, at + step), { stream: true }));
    return bytes.length;
  });
  pieces.push(utf8.decode());
  return pieces.join('');
}
