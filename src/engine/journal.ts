// Where a run leaves its trace: a journal of events per run (what `moe status` reads, even after kill -9),
// and one log file per node. Journal lines are batched for at most FLUSH_MS (a kill -9 loses at most
// that much of the journal, never a committed result: records are the truth, and `moe gc` protects
// every record written since an unfinished run started).
//
// A full disk must not cost the run its account of what happened: the journal is created with a reserve
// of newline bytes (which readers skip as empty lines) that events overwrite in place, so the
// `node-failed` of a node that filled the disk and the `run-end` still fit; the file is cut to its
// length when the run closes it. Writes that fail anyway are kept and tried again at the next flush.
// Neither the journal nor the node logs ever throw: a run goes on and reports its nodes' own failures.
import { closeSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunEvent } from './events.js';
import type { Workspace } from './workspace.js';
import { journalPath, nodeLogPath, safeName } from './workspace.js';

const FLUSH_MS = 100;
/** Bytes of room kept ahead of the last event. */
const RESERVE = 64 * 1024;

export class RunJournal {
  readonly path: string;
  readonly #fd: number;
  #pending: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Where the next event goes, and where the reserve ends. */
  #pos = 0;
  #reserved = 0;

  constructor(ws: Workspace, runId: string) {
    this.path = journalPath(ws, runId);
    mkdirSync(dirname(this.path), { recursive: true });
    this.#fd = openSync(this.path, 'w');
    this.#reserve();
  }

  /** Keeps the events `moe status` needs; logs and progress stay in the node log. */
  record(event: RunEvent): void {
    if (event.type === 'node-log' || event.type === 'node-progress' || event.type === 'node-queued') return;
    this.#pending.push(JSON.stringify(event));
    if (event.type === 'run-start' || event.type === 'run-end' || event.type === 'node-failed') this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const buf = Buffer.from(`${this.#pending.join('\n')}\n`);
    try {
      // A short write leaves a torn line that readers skip; the retry writes it whole at the same place.
      if (writeSync(this.#fd, buf, 0, buf.length, this.#pos) !== buf.length) return;
    } catch {
      return;
    }
    this.#pos += buf.length;
    this.#pending = [];
    if (this.#reserved - this.#pos < RESERVE / 2) this.#reserve();
  }

  close(): void {
    this.flush();
    try {
      ftruncateSync(this.#fd, this.#pos);
    } catch {
      // Trailing newlines are harmless.
    }
    closeSync(this.#fd);
  }

  #reserve(): void {
    const room = Buffer.alloc(RESERVE, 0x0a);
    try {
      const n = writeSync(this.#fd, room, 0, room.length, this.#pos);
      this.#reserved = Math.max(this.#reserved, this.#pos + n);
    } catch {
      // No room now; the next flush tries again.
    }
  }
}

export class NodeLogs {
  readonly #fds = new Map<string, number>();
  #dirMade = false;
  /** The run's log folder, as `nodeLogPath` joins it (asked for each node's log two or three times). */
  readonly #dir: string;

  constructor(ws: Workspace, runId: string) {
    this.#dir = dirname(nodeLogPath(ws, runId, '_'));
  }

  /** Creates the log directory, so child processes can append to their log files directly. */
  ensureDir(): void {
    if (this.#dirMade) return;
    try {
      mkdirSync(dirname(this.pathOf('_')), { recursive: true });
      this.#dirMade = true;
    } catch {
      // Commands then fail saying where their output could not go.
    }
  }

  pathOf(node: string): string {
    // A safe name is one plain path segment: `nodeLogPath`'s result without a join per call.
    return `${this.#dir}/${safeName(node)}.log`;
  }

  /**
   * Appends one line; the file is created on the first line, so silent nodes cost no file. A line that
   * cannot be written (a full disk) is dropped: what matters about a failure also goes to the journal.
   */
  write(node: string, level: string, message: string, time: number): void {
    const stamp = new Date(time).toISOString();
    const text = message
      .split('\n')
      .map((line) => `${stamp} ${level.padEnd(5)} ${line}`)
      .join('\n');
    try {
      let fd = this.#fds.get(node);
      if (fd === undefined) {
        const path = this.pathOf(node);
        if (!this.#dirMade) {
          mkdirSync(dirname(path), { recursive: true });
          this.#dirMade = true;
        }
        fd = openSync(path, 'a');
        this.#fds.set(node, fd);
      }
      writeSync(fd, `${text}\n`);
    } catch {
      // Dropped, see above.
    }
  }

  close(node?: string): void {
    const nodes = node === undefined ? [...this.#fds.keys()] : [node];
    for (const n of nodes) {
      const fd = this.#fds.get(n);
      this.#fds.delete(n);
      try {
        if (fd !== undefined) closeSync(fd);
      } catch {
        // Closing cannot lose anything more.
      }
    }
  }
}
