// Large JSON objects written in pieces: the JSON text of an object whose one big member (`nodes` of a
// pipeline index, every node of an evaluation memo) is serialised entry by entry, so a 10,000-node
// pipeline's index is never one 6 MB string beside its 6 MB of bytes.
import { closeSync, openSync, writeSync } from 'node:fs';

/** About this many characters per piece. */
const PIECE = 1 << 16;

/**
 * The JSON text of `{ ...head, [key]: entries }` in pieces that join to what `JSON.parse` reads back as
 * that object (`key` comes last). Without `key`, `entries` is the object itself.
 */
export function* jsonPieces(
  entries: Readonly<Record<string, unknown>>,
  wrap?: { readonly head: Readonly<Record<string, unknown>>; readonly key: string },
): Generator<string> {
  let piece = '{';
  if (wrap !== undefined) {
    const head = JSON.stringify(wrap.head);
    piece = `${head.length > 2 ? `${head.slice(0, -1)},` : '{'}${JSON.stringify(wrap.key)}:{`;
  }
  let first = true;
  for (const k of Object.keys(entries)) {
    const value = JSON.stringify(entries[k]);
    if (value === undefined) continue;
    piece += `${first ? '' : ','}${JSON.stringify(k)}:${value}`;
    first = false;
    if (piece.length >= PIECE) {
      yield piece;
      piece = '';
    }
  }
  yield wrap === undefined ? `${piece}}` : `${piece}}}`;
}

/**
 * Writes `pieces` to `path` (created or truncated) one after the other, each encoded into one reused
 * buffer: a buffer per piece lives outside V8's heap until a collection frees it (6 MB for a 10,000-node
 * index, all at once at the end of a run).
 */
export function writePieces(path: string, pieces: Iterable<string>): void {
  const fd = openSync(path, 'w');
  let buffer = Buffer.allocUnsafe(0);
  try {
    for (const piece of pieces) {
      const size = Buffer.byteLength(piece);
      if (size > buffer.length) buffer = Buffer.allocUnsafe(Math.max(size, 3 * PIECE));
      buffer.write(piece);
      for (let done = 0; done < size;) done += writeSync(fd, buffer, done, size - done);
    }
  } finally {
    closeSync(fd);
  }
}
