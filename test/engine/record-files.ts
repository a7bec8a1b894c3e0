// What a crash, a power loss or a person can do to committed records on disk, for the tests: records are
// lines in segment files under records/ (src/engine/record-log.ts).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from '../../src/engine/workspace.js';

/** The segment holding the record of `fp`, and where its line starts and ends (the newline included). */
export function recordLineOf(ws: Workspace, fp: string): { file: string; start: number; end: number } {
  for (const name of readdirSync(ws.records).filter((n) => n.endsWith('.jsonl'))) {
    const file = join(ws.records, name);
    const text = readFileSync(file, 'latin1');
    const start = text.indexOf(`{"format":1,"fingerprint":"${fp}"`);
    if (start >= 0) return { file, start, end: text.indexOf('\n', start) + 1 };
  }
  throw new Error(`no record line for ${fp}`);
}

/** Removes the record's line, as if it had never been written. */
export function dropRecord(ws: Workspace, fp: string): void {
  const { file, start, end } = recordLineOf(ws, fp);
  const bytes = readFileSync(file);
  writeFileSync(file, Buffer.concat([bytes.subarray(0, start), bytes.subarray(end)]));
}

/** Overwrites the record's line with zero bytes, what a power loss can leave of unsynced data. */
export function zeroRecord(ws: Workspace, fp: string): void {
  const { file, start, end } = recordLineOf(ws, fp);
  const bytes = readFileSync(file);
  bytes.fill(0, start, end);
  writeFileSync(file, bytes);
}

/** Cuts the segment in the middle of the record's line, what a write stopped by kill -9 can leave. */
export function tearRecord(ws: Workspace, fp: string, keep = 12): void {
  const { file, start } = recordLineOf(ws, fp);
  writeFileSync(file, readFileSync(file).subarray(0, start + keep));
}
