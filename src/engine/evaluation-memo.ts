// The evaluation memo: what each node's evaluation takes from the pipeline alone (`StaticEvaluation`),
// kept between runs of an unchanged pipeline so that a cached rerun need not resolve every `with` again.
// What a run adds is for the next run only, so with a spill file it goes there as it comes (a line a
// node) instead of staying in memory to the end (about 0.2 KB a node: 2 MB of a 10,000-node run); the
// memo is written whole from what was read and what was spilled.
import { appendFileSync, closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { StaticEvaluation } from './evaluate.js';
import type { NodeId } from '../util/brand.js';
import { removeQuietly } from '../util/remove-quietly.js';

/** Spilled text is appended to the file in pieces of about this many characters. */
const PIECE = 1 << 16;

export class EvaluationMemo {
  readonly #entries: Record<string, StaticEvaluation>;
  readonly #spill: string | undefined;
  /** Spilled entries not yet appended to the file, as `"node":entry` members joined by commas. */
  #pending = '';
  #spilled = false;
  /** The spill file could not be written: nothing more is kept, and the memo is not written back. */
  #lost = false;
  #dirty = false;

  /** `spill`: the file that takes what this process adds (removed by `close`). */
  constructor(entries: Readonly<Record<string, StaticEvaluation>> = {}, spill?: string) {
    this.#entries = { ...entries };
    this.#spill = spill;
  }

  /** What an earlier run kept, or what this process added when it spills nothing. */
  get(node: NodeId): StaticEvaluation | undefined {
    return Object.hasOwn(this.#entries, node) ? this.#entries[node] : undefined;
  }

  set(node: NodeId, value: StaticEvaluation): void {
    if (this.#lost) return;
    this.#dirty = true;
    if (this.#spill === undefined) {
      this.#entries[node] = { ...value, withJson: flatCopy(value.withJson) };
      return;
    }
    this.#pending += `${this.#pending === '' && !this.#spilled ? '' : ','}${JSON.stringify(node)}:${JSON.stringify(value)}`;
    if (this.#pending.length >= PIECE) this.#flush();
  }

  /** Whether anything was added since it was made (and so is worth writing back). */
  get dirty(): boolean {
    return this.#dirty && !this.#lost;
  }

  /**
   * The memo's JSON text in pieces: what was read, then what this process added. A node evaluated twice
   * in one process (it waited for a job with its fingerprint) may be written twice, the same entry:
   * `JSON.parse` keeps one.
   */
  *pieces(): Generator<string> {
    let piece = '{';
    let first = true;
    for (const k of Object.keys(this.#entries)) {
      piece += `${first ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(this.#entries[k])}`;
      first = false;
      if (piece.length >= PIECE) {
        yield piece;
        piece = '';
      }
    }
    const spilled = this.#spilled || this.#pending !== '';
    if (spilled && !first) piece += ',';
    yield piece;
    if (this.#spill !== undefined && this.#spilled) {
      this.#flush();
      yield* textInPieces(this.#spill);
    } else yield this.#pending;
    yield '}';
  }

  /** Removes the spill file. */
  close(): void {
    if (this.#spill !== undefined && this.#spilled) removeQuietly(this.#spill);
    this.#pending = '';
  }

  #flush(): void {
    const spill = this.#spill;
    if (spill === undefined || this.#pending === '') return;
    try {
      if (!this.#spilled) mkdirSync(dirname(spill), { recursive: true });
      appendFileSync(spill, this.#pending);
      this.#spilled = true;
    } catch {
      // A full disk or a read-only workspace: the memo is only a speed-up for the next run.
      this.#lost = true;
    }
    this.#pending = '';
  }
}

/** The text of a UTF-8 file in pieces of about `PIECE` bytes, never one string for the whole file. */
function* textInPieces(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(PIECE);
    const decoder = new StringDecoder('utf8');
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer))
      yield decoder.write(buffer.subarray(0, n));
    yield decoder.end();
  } finally {
    closeSync(fd);
  }
}

/**
 * `text` as one flat string. `canonicalJson` concatenates: V8 keeps the result as a tree of its pieces
 * (a node for each `+`, slices pointing into larger strings), about twice the bytes of the text itself,
 * for as long as the memo holds it. The text is JSON, whose strings are well formed (JSON.stringify
 * escapes a lone surrogate), so the UTF-8 round trip keeps every character.
 */
function flatCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
