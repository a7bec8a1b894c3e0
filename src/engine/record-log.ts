// The records, the commit markers of nodes: one line of JSON per committed node, appended to a segment
// file `records/<run-id>.jsonl` that belongs to the process that writes it. A record line is written
// with one write(2) after the node's outputs are in the store, so a node is done exactly when its line
// is whole in a segment. Appending a line costs no new file: one file per node (a temporary file renamed
// over) made every commit allocate an inode, the dearest thing a small node did.
//
// What can go wrong and why it is safe:
// - kill -9 during the write: the kernel may stop a write between two pages, leaving the start of a line
//   at the end of the dead process's segment. A line counts only when it is complete (it starts with the
//   record prefix, ends with `}` and its newline, and parses as a record of its fingerprint), and nobody
//   appends to a dead process's segment again, so no later record is glued to the torn one.
// - a full disk: a write that fails or falls short is cut off again (ftruncate) and the node fails with
//   the cause; nothing of it counts.
// - power loss (moe does not fsync): the newest lines may be missing, or read back as zero bytes. Zero
//   bytes before a line are skipped; a line that does not read as a whole record counts as absent.
// Records of one fingerprint in several segments (a forced rerun, a record written back from an index):
// the segment written last wins, then the last line within it.
//
// Workspaces made before segments have one file per record, `records/<ab>/<fingerprint>.json`: those are
// still read (looked up per fingerprint only when such folders exist), and `moe gc` moves the live ones
// into a segment.
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { NodeRecord } from './records.js';
import { isNodeRecord } from './records.js';
import type { Location } from './record-locations.js';
import { Locations } from './record-locations.js';
import type { Workspace } from './workspace.js';
import { recordPath } from './workspace.js';
import { scanInBlocks } from '../util/small-blocks.js';

/** How every record line begins: the fingerprint is found without parsing the line. */
const PREFIX = '{"format":1,"fingerprint":"';
const PREFIX_BYTES = Buffer.from(PREFIX, 'latin1');
const FP_LENGTH = 64;
const NEWLINE = 0x0a;
const CLOSE_BRACE = 0x7d;

export class RecordLog {
  readonly #ws: Workspace;
  readonly #segmentName: () => string;
  /** Segment paths by number; the map's locations point into them. */
  readonly #segments: string[] = [];
  #byFingerprint: Locations | undefined;
  /** Whether the records folder holds per-file records of the old layout. */
  #legacy = false;
  #fd: number | undefined;
  #own = -1;
  #pos = 0;

  /** `segmentName` names this process's segment (without `.jsonl`), asked at the first write. */
  constructor(ws: Workspace, segmentName: () => string) {
    this.#ws = ws;
    this.#segmentName = segmentName;
  }

  /** The record of `fingerprint`, when one is committed and reads whole. */
  get(fingerprint: string): NodeRecord | undefined {
    const at = this.#load().get(fingerprint);
    const text = at === undefined ? this.#legacyText(fingerprint) : this.#lineAt(at);
    if (text === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      return isNodeRecord(parsed) && parsed.fingerprint === fingerprint ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether a record of `fingerprint` is committed (a cheap check: the line's shape, not its parse). */
  has(fingerprint: string): boolean {
    if (this.#load().has(fingerprint)) return true;
    return this.#legacy && existsSync(recordPath(this.#ws, fingerprint));
  }

  /** Appends `record` to this process's segment: the commit point. Throws when it could not. */
  append(record: NodeRecord): void {
    const map = this.#load();
    // The fingerprint right after the format, whatever order the object's keys were built in.
    const buf = Buffer.from(`${recordLine(record)}\n`);
    const fd = this.#open();
    let written: number;
    try {
      written = writeSync(fd, buf, 0, buf.length, this.#pos);
    } catch (e) {
      this.#cut();
      throw e;
    }
    if (written !== buf.length) {
      this.#cut();
      throw new Error(`no room for the record (${written} of ${buf.length} bytes written)`);
    }
    map.set(record.fingerprint, this.#own, this.#pos, this.#pos + buf.length - 1);
    this.#pos += buf.length;
  }

  /**
   * The newest record line of each fingerprint as written (its record's JSON), in their order: undefined
   * where there is none in a segment or it does not read whole. Each segment is opened once.
   */
  *lineTexts(fingerprints: Iterable<string>): Generator<string | undefined> {
    const map = this.#load();
    const fds = new Map<number, number>();
    let buf = Buffer.allocUnsafe(0);
    try {
      for (const fp of fingerprints) {
        const at = map.get(fp);
        const path = at === undefined ? undefined : this.#segments[at.segment];
        if (at === undefined || path === undefined) {
          yield undefined;
          continue;
        }
        let fd = fds.get(at.segment);
        if (fd === undefined) {
          fd = openSync(path, 'r');
          fds.set(at.segment, fd);
        }
        // One buffer for every line (each of its own would stay outside the heap until a collection).
        const size = at.end - at.start;
        if (size > buf.length) buf = Buffer.allocUnsafe(Math.max(size, 2 * buf.length, 4096));
        const text = readSync(fd, buf, 0, size, at.start) === size ? buf.toString('utf8', 0, size) : '';
        yield text.startsWith(`${PREFIX}${fp}"`) ? text : undefined;
      }
    } finally {
      for (const fd of fds.values()) closeSync(fd);
    }
  }

  /** Every fingerprint with a record in a segment (not the old per-file layout), for `moe gc`. */
  fingerprints(): IterableIterator<string> {
    return this.#load().keys();
  }

  /** The segment files, oldest first. */
  segmentFiles(): readonly string[] {
    this.#load();
    return this.#segments;
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // Nothing is lost: every line was written whole or cut off.
    }
    this.#fd = undefined;
  }

  /** Reads every segment's line positions once (records themselves are parsed when asked for). */
  #load(): Locations {
    if (this.#byFingerprint) return this.#byFingerprint;
    const map = new Locations();
    this.#byFingerprint = map;
    let names: string[];
    try {
      names = readdirSync(this.#ws.records);
    } catch {
      return map;
    }
    this.#legacy = names.some((n) => /^[0-9a-f]{2}$/.test(n));
    const segments = names
      .filter((n) => n.endsWith('.jsonl'))
      .map((n) => ({ path: join(this.#ws.records, n), mtime: mtimeOf(join(this.#ws.records, n)) }))
      .sort((a, b) => a.mtime - b.mtime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const { path } of segments) {
      const segment = this.#segments.push(path) - 1;
      try {
        // A block at a time: a segment of 10,000 records is over a megabyte (see small-blocks.ts).
        scanInBlocks(path, (bytes, at) =>
          records(bytes, (fp, start, end) => map.set(fp, segment, at + start, at + end)),
        );
      } catch {
        // Unreadable, or gone since it was listed: its records (those read before a failure are kept) are
        // not found, as a segment never written.
      }
    }
    return map;
  }

  #lineAt(at: Location): string | undefined {
    const path = this.#segments[at.segment];
    if (path === undefined) return undefined;
    const buf = Buffer.alloc(at.end - at.start);
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      return readSync(fd, buf, 0, buf.length, at.start) === buf.length ? buf.toString('utf8') : undefined;
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  #legacyText(fingerprint: string): string | undefined {
    if (!this.#legacy) return undefined;
    const path = recordPath(this.#ws, fingerprint);
    try {
      return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  }

  #open(): number {
    if (this.#fd !== undefined) return this.#fd;
    mkdirSync(this.#ws.records, { recursive: true });
    const path = join(this.#ws.records, `${this.#segmentName()}.jsonl`);
    // Appending: a segment of this name from an earlier run (the same pid and second) is kept.
    const fd = openSync(path, 'a');
    this.#pos = fstatSync(fd).size;
    this.#fd = fd;
    this.#own = this.#segments.push(path) - 1;
    return fd;
  }

  /** After a failed write: whatever part of the line reached the file is cut off again. */
  #cut(): void {
    try {
      if (this.#fd !== undefined) ftruncateSync(this.#fd, this.#pos);
    } catch {
      // The torn line stays, and does not count; the next line is written over it.
    }
  }
}

/** A record as one line of a segment: the fingerprint right after the format, whatever order the object's
 * keys were built in, so a reader finds it without parsing the line. */
export function recordLine(record: NodeRecord): string {
  // A record built in that order (as a run builds each) is written as it is, without a reordered copy.
  let i = 0;
  for (const key in record) {
    if (key !== (i === 0 ? 'format' : 'fingerprint')) break;
    if (++i === 2) return JSON.stringify(record);
  }
  const { format, fingerprint, ...rest } = record;
  return JSON.stringify({ format, fingerprint, ...rest });
}

/** The complete record lines of a segment: fingerprint, start and end (at the newline) of each. */
/**
 * Calls `visit` with the fingerprint and place of each whole record line in `bytes`, and returns the
 * offset just past the last newline (what follows may be a line whose rest is in the next block).
 */
function records(bytes: Buffer, visit: (fingerprint: string, start: number, end: number) => void): number {
  let start = 0;
  while (start < bytes.length) {
    // A line without its newline is the start of one a write did not finish (or the next block has it).
    const end = bytes.indexOf(NEWLINE, start);
    if (end < 0) return start;
    let from = start;
    // Zeros a power loss left in place of lost lines.
    while (from < end && bytes[from] === 0) from += 1;
    if (
      end - from > PREFIX_BYTES.length + FP_LENGTH &&
      bytes[end - 1] === CLOSE_BRACE &&
      bytes.compare(PREFIX_BYTES, 0, PREFIX_BYTES.length, from, from + PREFIX_BYTES.length) === 0
    ) {
      const at = from + PREFIX_BYTES.length;
      visit(bytes.toString('latin1', at, at + FP_LENGTH), from, end);
    }
    start = end + 1;
  }
  return start;
}

function mtimeOf(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0;
}
