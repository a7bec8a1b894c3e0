// The content-addressed store. Outputs are staged in a directory, hashed, and renamed into
// `store/<digest>`; only then is the node's record appended to the run's record segment (one write, see
// record-log.ts), so a crash at any moment leaves either a complete, recorded result or nothing that
// counts.
//
// Stored files are made read-only, and each record keeps a stamp of its entry's file sizes and
// modification times: every use of a record (a cached node, an upstream output) compares the entry with
// it, so an output changed or truncated after its commit is never reused; the node reruns. `moe gc
// --verify` re-hashes every entry for what a stamp cannot see (a change that kept size and time).
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../util/brand.js';
import type { NodeRecord } from './records.js';
import { isNodeRecord } from './records.js';
import type { TreeEntry } from './hashing.js';
import { escapingLinks, hashOutputFile, hashTree, listTree, sha256HexPrefix, TreeError } from './hashing.js';
import type { Workspace } from './workspace.js';
import { RecordLog } from './record-log.js';
import { spreadSubfolders } from './spread-folders.js';
import { writePieces } from '../util/json-chunks.js';
import { indexText, readIndexText } from './index-text.js';
import { withoutYoungGrowth } from '../util/young-generation.js';
import { indexPath, storePath } from './workspace.js';

export interface PipelineIndex {
  readonly file: string;
  readonly pipeline: string;
  readonly nodes: Readonly<Record<string, NodeRecord>>;
}

/**
 * An index as read back. Entries that are not whole records (edited by hand, a disk fault) are left out
 * and named in `damaged`; `damaged: true` when the file is there but does not read as an index.
 */
export interface ReadIndex extends PipelineIndex {
  readonly damaged?: readonly string[] | true;
}

export class Store {
  readonly ws: Workspace;
  readonly #madeDirs = new Set<string>();
  /** Outputs checked in this process, by digest and stamp. */
  readonly #checked = new Map<string, string | undefined>();

  readonly #records: RecordLog;

  /** `writer` names the segment this store's records go to (a run's id); reading needs none. */
  constructor(ws: Workspace, writer?: string) {
    this.ws = ws;
    this.#records = new RecordLog(ws, () => writer ?? segmentName());
  }

  ensureDir(dir: string): void {
    if (this.#madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.#madeDirs.add(dir);
  }

  /**
   * Makes the staging folder, where each attempt makes a folder for its outputs; when this makes it,
   * the file system is asked to spread those folders (spread-folders.ts).
   */
  ensureStaging(): void {
    const dir = this.ws.staging;
    if (this.#madeDirs.has(dir)) return;
    if (mkdirSync(dir, { recursive: true }) !== undefined) spreadSubfolders(dir);
    this.#madeDirs.add(dir);
  }

  readRecord(fingerprint: string): NodeRecord | undefined {
    return this.#records.get(fingerprint);
  }

  /** The record log itself (segments, fingerprints), for `moe gc`. */
  get records(): RecordLog {
    return this.#records;
  }

  /** True when the outputs a record names are in the store, unchanged since their commit. */
  hasOutputs(record: NodeRecord): boolean {
    return this.outputsProblem(record) === undefined;
  }

  /** Why a record's outputs cannot be reused (missing, or changed since the commit), or undefined. */
  outputsProblem(record: NodeRecord): string | undefined {
    const dir = storePath(this.ws, record.outputs.digest);
    const key = `${record.outputs.digest}:${record.outputs.stamp ?? ''}`;
    if (this.#checked.has(key)) return this.#checked.get(key);
    let problem: string | undefined;
    if (record.outputs.stamp === undefined) {
      if (!existsSync(dir)) problem = 'outputs missing from the store';
    } else {
      // Listing the entry is the existence check too (one syscall fewer per cached node).
      let stamp: string | undefined;
      let missing = false;
      try {
        stamp = stampAt(dir);
      } catch (e) {
        missing = (e as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(dir);
      }
      if (missing) problem = 'outputs missing from the store';
      else if (stamp !== record.outputs.stamp) {
        let entries: TreeEntry[] | undefined;
        try {
          entries = listTree(dir);
        } catch {
          // Named below as "a file changed, appeared or went".
        }
        const since = Date.parse(record.finishedAt);
        const touched = (entries ?? [])
          .filter((e) => e.kind !== 'dir' && e.stats.mtimeMs > since)
          .map((e) => e.path);
        const what =
          touched.length > 0
            ? `${touched.slice(0, 3).join(', ')}${touched.length > 3 ? ', …' : ''} changed`
            : 'a file changed, appeared or went';
        problem = `stored outputs changed after their commit (store/${record.outputs.digest.slice(0, 12)}…: ${what})`;
      }
    }
    this.#checked.set(key, problem);
    return problem;
  }

  outputPath(record: Pick<NodeRecord, 'outputs'>, name: string): string | undefined {
    const rel = record.outputs.paths[name];
    if (rel === undefined) return undefined;
    // Most outputs are one plain name (`out.txt`), which `join` would only copy.
    const dir = storePath(this.ws, record.outputs.digest);
    return PLAIN_NAME.test(rel) ? `${dir}/${rel}` : join(dir, rel);
  }

  /**
   * Moves a finished staging directory into the store, read-only, and returns its digest and stamp. When
   * the same bytes are already stored (a rerun that changed nothing), the staged copy is dropped, unless
   * the stored entry no longer holds those bytes: then it is moved aside (gc removes it) and replaced.
   * Throws `OutputError` for outputs that cannot be stored (links leaving the tree).
   */
  async commitOutputs(stagingDir: string): Promise<{ readonly digest: Digest; readonly stamp: string }> {
    const entries = listTree(stagingDir);
    const escaping = escapingLinks(stagingDir, entries);
    if (escaping.length > 0) {
      throw new OutputError(
        `output${escaping.length > 1 ? 's' : ''} ${escaping.join(', ')}: a symbolic link that is absolute or leaves the output folder; ` +
          'moe stores outputs by content and would not see a change behind it. Copy the target into $MOE_OUT ' +
          '(cp -L), or link relatively to a file inside it',
      );
    }
    // Each file is made read-only as it is hashed (one open for both); chmod leaves sizes and times as
    // they were.
    const d = await hashTree(
      stagingDir,
      (abs, stats) => hashOutputFile(abs, stats.size, stats.mode),
      {},
      entries,
    );
    const target = storePath(this.ws, d);
    const stamp = treeStamp(entries);
    this.ensureDir(this.ws.store);
    // The rename is the existence check: it fails when the same bytes are stored already (a rerun that
    // changed nothing), one system call fewer per commit than asking first. (Over an empty directory it
    // succeeds, which is right: an entry emptied since its commit no longer holds its bytes.)
    if (tryRename(stagingDir, target)) return { digest: d, stamp };
    if (await this.#holds(target, d)) {
      rmSync(stagingDir, { recursive: true, force: true });
      return { digest: d, stamp: treeStamp(listTree(target)) };
    }
    renameSync(target, `${target}.changed-${process.pid}-${Date.now()}`);
    this.#checked.clear();
    if (tryRename(stagingDir, target)) return { digest: d, stamp };
    // Another process committed the same content between the two renames.
    rmSync(stagingDir, { recursive: true, force: true });
    return { digest: d, stamp: treeStamp(listTree(target)) };
  }

  /** True when the store entry still holds the tree with digest `d` (sizes first, then the bytes). */
  async #holds(dir: string, d: Digest): Promise<boolean> {
    try {
      return (await hashTree(dir)) === d;
    } catch {
      return false;
    }
  }

  /** The commit point: after this returns, the node is done. */
  writeRecord(record: NodeRecord): void {
    this.#records.append(record);
  }

  /**
   * Writes a record back when it is missing (deleted by hand, lost in a crash) while an index still
   * holds a copy of it, so that gc and other pipelines find it again. Returns true when it did.
   */
  repairRecord(record: NodeRecord): boolean {
    if (this.#records.has(record.fingerprint)) return false;
    this.writeRecord(record);
    return true;
  }

  /** Closes the record segment this store wrote to. */
  close(): void {
    this.#records.close();
  }

  /** The pipeline's index; undefined when it has none (see ReadIndex for one that does not read whole). */
  readIndex(key: string): ReadIndex | undefined {
    let parsed: unknown;
    try {
      // Read a node a line, and without the young generation doubling for the records it keeps.
      parsed = withoutYoungGrowth(() => readIndexText(indexPath(this.ws, key)));
    } catch {
      return undefined;
    }
    const index = parsed as Partial<PipelineIndex> | undefined;
    const nodes = index?.nodes;
    if (typeof nodes !== 'object' || nodes === null || Array.isArray(nodes))
      return { file: '', pipeline: '', nodes: {}, damaged: true };
    const whole: Record<string, NodeRecord> = {};
    const damaged: string[] = [];
    for (const [id, r] of Object.entries(nodes as Record<string, unknown>)) {
      if (isNodeRecord(r) && /^[0-9a-f]{64}$/.test(r.fingerprint)) whole[id] = r;
      else damaged.push(id);
    }
    return {
      file: String(index?.file ?? ''),
      pipeline: String(index?.pipeline ?? ''),
      nodes: whole,
      ...(damaged.length > 0 ? { damaged } : {}),
    };
  }

  writeIndex(key: string, index: PipelineIndex): void {
    this.ensureDir(this.ws.index);
    const { nodes, ...head } = index;
    const entries = function* (): Generator<[string, string]> {
      for (const id of Object.keys(nodes)) yield [id, JSON.stringify(nodes[id])];
    };
    atomicWrite(indexPath(this.ws, key), indexText(head, entries()));
  }

  /**
   * Writes a pipeline's index where an entry may be the fingerprint of a record in the record log: that
   * record is copied into the index as written, so a run need not keep every record it committed. When
   * one cannot be read back, nothing is written (it throws, as a failed write does).
   */
  writeIndexOf(
    key: string,
    head: Omit<PipelineIndex, 'nodes'>,
    nodes: ReadonlyMap<string, NodeRecord | Digest>,
  ): void {
    this.ensureDir(this.ws.index);
    atomicWrite(indexPath(this.ws, key), indexPieces(head, nodes, this.#records));
  }
}

/** The index's text (see `indexText`), each record the run committed copied from the record log. */
function* indexPieces(
  head: Omit<PipelineIndex, 'nodes'>,
  nodes: ReadonlyMap<string, NodeRecord | Digest>,
  log: RecordLog,
): Generator<string> {
  const logged: string[] = [];
  for (const v of nodes.values()) if (typeof v === 'string') logged.push(v);
  const texts = log.lineTexts(logged);
  const entries = function* (): Generator<[string, string]> {
    for (const [id, v] of nodes) {
      const text = typeof v === 'string' ? texts.next().value : JSON.stringify(v);
      if (text === undefined) throw new Error(`the record of ${id} (${String(v)}) cannot be read back`);
      yield [id, text];
    }
  };
  try {
    yield* indexText(head, entries());
  } finally {
    texts.return(undefined);
  }
}

/**
 * Writes `path` whole or not at all; a failed write leaves no temporary file behind. `text` may come in
 * pieces, so a large file never has to be one string.
 */
export function atomicWrite(path: string, text: string | Iterable<string>): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    if (typeof text === 'string') writeFileSync(tmp, text);
    else writePieces(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A segment name for a store that was given none: the time and this process. */
function segmentName(): string {
  return `${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${process.pid}`;
}

/** Renames a directory onto `target`; false when a non-empty directory (or a file) is there already. */
function tryRename(from: string, target: string): boolean {
  try {
    renameSync(from, target);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') return false;
    throw e;
  }
}

/** One path segment that `join` leaves as it is: not empty, no slash, not `.` or `..`. */
const PLAIN_NAME = /^(?!\.\.?$)[^/]+$/;

/** Outputs that moe refuses to store; the node fails with this message. */
export class OutputError extends Error {}

/**
 * A stamp of a tree's shape, file sizes and modification times: equal stamps mean nothing was written,
 * truncated, added or removed since (short of resetting a file's time by hand).
 */
export function treeStamp(entries: readonly TreeEntry[]): string {
  let text = '';
  for (const e of entries) text += stampLine(e.kind, e.path, e.stats);
  return sha256HexPrefix(text, 16);
}

function stampLine(kind: TreeEntry['kind'], path: string, stats: Stats): string {
  return kind === 'dir' ? `dir\0${path}\0\n` : `${kind}\0${path}\0${stats.size}\0${stats.mtimeMs}\n`;
}

/**
 * `treeStamp(listTree(root))` without the entries: what every cached node pays for its store entry, so
 * it builds the stamp's text as it walks (the same names in the same order, the same kinds). Throws as
 * `listTree` does (ENOENT when `root` is gone).
 */
export function stampAt(root: string): string {
  let text = '';
  const walk = (dir: string, prefix: string): void => {
    const names = readdirSync(dir);
    if (names.length > 1) names.sort();
    for (const name of names) {
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const stats = lstatSync(`${dir}/${name}`);
      if (stats.isSymbolicLink()) text += stampLine('link', rel, stats);
      else if (stats.isDirectory()) {
        text += stampLine('dir', rel, stats);
        walk(`${dir}/${name}`, rel);
      } else if (stats.isFile()) text += stampLine(stats.mode & 0o111 ? 'exec' : 'file', rel, stats);
      else throw new TreeError(`${dir}/${name} is neither a file, a directory nor a symlink`);
    }
  };
  walk(root, '');
  return sha256HexPrefix(text, 16);
}
