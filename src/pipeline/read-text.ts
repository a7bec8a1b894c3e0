// A pipeline file's bytes → its text: at most `max` bytes (a huge file, a FIFO or /dev/zero cannot
// exhaust memory), UTF-8 only, and every way it can fail as a diagnostic a person can act on.
import { open } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import type { Diagnostic } from './diagnostic.js';
import { SourceFile } from './source.js';
import { BLOCK_BYTES } from '../util/small-blocks.js';

/** Pipeline files larger than this are refused before they are read. */
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

export interface UnreadableText {
  readonly diagnostic: Diagnostic;
  /** What could be read, for showing the line a problem is on (non-UTF-8 bytes replaced). */
  readonly text: string | undefined;
}

/**
 * Reads `path` (absolute). `shown` names the file in messages that have no position (by default `path`).
 */
export async function readPipelineText(
  path: string,
  max: number,
  shown: string = path,
): Promise<string | UnreadableText> {
  // `moe run ""` (an unset shell variable): the path resolves to the current folder.
  if (shown.trim() === '') return unreadable('read', 'no pipeline file given: the path is empty');
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT'
        ? `${shown}: no such file`
        : code === 'EACCES' || code === 'EPERM'
          ? `${shown}: permission denied; make the file readable (chmod +r)`
          : `${shown}: cannot open (${code ?? String(e)})`;
    return unreadable('read', message);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return unreadable('read', `${shown}: is a directory, not a pipeline file`);
    if (info.isFile() && info.size > max)
      return unreadable('too-large', tooLarge(info.size, max), new SourceFile(path, '').whole());
    // Read and decoded a block at a time, never the whole file in one buffer (see small-blocks.ts).
    const chunks: Buffer[] = [];
    const pieces: string[] = [];
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    let valid = true;
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(BLOCK_BYTES, max + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      chunks.push(chunk);
      total += bytesRead;
      if (total > max) return unreadable('too-large', tooLarge(total, max), new SourceFile(path, '').whole());
      if (valid) valid = decodeMore(utf8, chunk, pieces);
    }
    if (valid) valid = decodeMore(utf8, undefined, pieces);
    return valid ? pieces.join('') : decode(path, Buffer.concat(chunks));
  } catch (e) {
    return unreadable('read', `${shown}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    await handle.close();
  }
}

export function tooLarge(size: number, max: number): string {
  const mb = (n: number): string =>
    n < 1024
      ? `${n} bytes`
      : n < 1024 ** 2
        ? `${(n / 1024).toFixed(1)} KiB`
        : `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `the file is ${mb(size)}${size > max + 1 ? '' : ' or more'}, over the ${mb(max)} limit for pipeline files`;
}

/**
 * Decodes the next block (`undefined`: the end) onto `pieces`; false when the bytes are not UTF-8. The
 * decoder's buffer is four times its input, so it gets a quarter of a block at a time.
 */
function decodeMore(utf8: TextDecoder, block: Buffer | undefined, pieces: string[]): boolean {
  try {
    if (block === undefined) pieces.push(utf8.decode());
    const step = BLOCK_BYTES / 4;
    for (let at = 0; block !== undefined && at < block.length; at += step)
      pieces.push(utf8.decode(block.subarray(at, at + step), { stream: true }));
    return true;
  } catch {
    return false;
  }
}

/** UTF-8 text (a BOM dropped), or where the first byte that is not UTF-8 lies and what to do. */
function decode(path: string, bytes: Buffer): string | UnreadableText {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const text = new TextDecoder('utf-8').decode(bytes);
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
      const range = new SourceFile(path, '').whole();
      return unreadable('encoding', 'the file is UTF-16 text; save it as UTF-8', range);
    }
    const at = Math.max(0, firstInvalidUtf8(bytes));
    const offset = new TextDecoder('utf-8').decode(bytes.subarray(0, at)).length;
    const hex = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, '0');
    const message = `the file is not valid UTF-8 text (byte 0x${hex}); save it as UTF-8`;
    return { ...unreadable('encoding', message, new SourceFile(path, text).range(offset, offset + 1)), text };
  }
}

/** The offset of the first byte that does not start or continue a UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i] ?? 0;
    const more = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c <= 0xf4 ? 3 : -1;
    if (more < 0 || (c >= 0x80 && c < 0xc2)) return i;
    for (let k = 1; k <= more; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return -1;
}

function unreadable(code: string, message: string, range?: Diagnostic['range']): UnreadableText {
  return { diagnostic: { severity: 'error', code, message, ...(range ? { range } : {}) }, text: undefined };
}
