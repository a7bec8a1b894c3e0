// Where a run leaves its trace: a journal of events per run (what `moe status` reads, even after kill -9),
// and one log file per node. Journal lines are batched for at most FLUSH_MS (a kill -9 loses at most
// that much of the journal, never a committed result: records are the truth, and `moe gc` protects
// every record written since an unfinished run started).
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunEvent } from './events.js';
import type { Workspace } from './workspace.js';
import { journalPath, nodeLogPath } from './workspace.js';

const FLUSH_MS = 100;

export class RunJournal {
  readonly path: string;
  readonly #fd: number;
  #pending: string[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(ws: Workspace, runId: string) {
    this.path = journalPath(ws, runId);
    mkdirSync(dirname(this.path), { recursive: true });
    this.#fd = openSync(this.path, 'a');
  }

  /** Keeps the events `moe status` needs; logs and progress stay in the node log. */
  record(event: RunEvent): void {
    if (event.type === 'node-log' || event.type === 'node-progress') return;
    this.#pending.push(JSON.stringify(event));
    if (event.type === 'run-start' || event.type === 'run-end' || event.type === 'node-failed') this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    writeSync(this.#fd, `${this.#pending.join('\n')}\n`);
    this.#pending = [];
  }

  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

export class NodeLogs {
  readonly #ws: Workspace;
  readonly #runId: string;
  readonly #fds = new Map<string, number>();
  #dirMade = false;

  constructor(ws: Workspace, runId: string) {
    this.#ws = ws;
    this.#runId = runId;
  }

  /** Creates the log directory, so child processes can append to their log files directly. */
  ensureDir(): void {
    if (this.#dirMade) return;
    mkdirSync(dirname(this.pathOf('_')), { recursive: true });
    this.#dirMade = true;
  }

  pathOf(node: string): string {
    return nodeLogPath(this.#ws, this.#runId, node);
  }

  /** Appends one line; the file is created on the first line, so silent nodes cost no file. */
  write(node: string, level: string, message: string, time: number): void {
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
    const stamp = new Date(time).toISOString();
    const text = message
      .split('\n')
      .map((line) => `${stamp} ${level.padEnd(5)} ${line}`)
      .join('\n');
    writeSync(fd, `${text}\n`);
  }

  close(node?: string): void {
    const nodes = node === undefined ? [...this.#fds.keys()] : [node];
    for (const n of nodes) {
      const fd = this.#fds.get(n);
      if (fd !== undefined) closeSync(fd);
      this.#fds.delete(n);
    }
  }
}
