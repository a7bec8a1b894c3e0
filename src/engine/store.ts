// The content-addressed store. Outputs are staged in a directory, hashed, and renamed into
// `store/<digest>`; only then is the node's record written (to a temp file, then renamed), so a crash at
// any moment leaves either a complete, recorded result or nothing that counts.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Digest } from '../util/brand.js';
import type { NodeRecord } from './records.js';
import { isNodeRecord } from './records.js';
import { hashTree } from './hashing.js';
import type { Workspace } from './workspace.js';
import { indexPath, recordPath, storePath } from './workspace.js';

export interface PipelineIndex {
  readonly file: string;
  readonly pipeline: string;
  readonly nodes: Readonly<Record<string, NodeRecord>>;
}

export class Store {
  readonly ws: Workspace;
  readonly #madeDirs = new Set<string>();

  constructor(ws: Workspace) {
    this.ws = ws;
  }

  ensureDir(dir: string): void {
    if (this.#madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.#madeDirs.add(dir);
  }

  readRecord(fingerprint: string): NodeRecord | undefined {
    const path = recordPath(this.ws, fingerprint);
    // Most lookups in a cold run miss: asking first is cheaper than the exception a failed read throws.
    if (!existsSync(path)) return undefined;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return isNodeRecord(parsed) && parsed.fingerprint === fingerprint ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  /** True when the outputs a record names are present in the store. */
  hasOutputs(record: NodeRecord): boolean {
    return existsSync(storePath(this.ws, record.outputs.digest));
  }

  outputPath(record: NodeRecord, name: string): string | undefined {
    const rel = record.outputs.paths[name];
    return rel === undefined ? undefined : join(storePath(this.ws, record.outputs.digest), rel);
  }

  /**
   * Moves a finished staging directory into the store and returns its digest. When the same bytes are
   * already stored (a rerun that changed nothing), the staged copy is dropped.
   */
  async commitOutputs(stagingDir: string): Promise<Digest> {
    const d = await hashTree(stagingDir);
    const target = storePath(this.ws, d);
    if (existsSync(target)) {
      rmSync(stagingDir, { recursive: true, force: true });
      return d;
    }
    this.ensureDir(this.ws.store);
    try {
      renameSync(stagingDir, target);
    } catch (e) {
      // Another process committed the same content between the check and the rename.
      if (!existsSync(target)) throw e;
      rmSync(stagingDir, { recursive: true, force: true });
    }
    return d;
  }

  /** The commit point: after this returns, the node is done. */
  writeRecord(record: NodeRecord): void {
    const path = recordPath(this.ws, record.fingerprint);
    this.ensureDir(dirname(path));
    atomicWrite(path, JSON.stringify(record));
  }

  /**
   * Writes a record back when its file is missing (deleted by hand, lost in a crash) while an index still
   * holds a copy of it, so that gc and other pipelines find it again. Returns true when it did.
   */
  repairRecord(record: NodeRecord): boolean {
    if (existsSync(recordPath(this.ws, record.fingerprint))) return false;
    this.writeRecord(record);
    return true;
  }

  readIndex(key: string): PipelineIndex | undefined {
    try {
      return JSON.parse(readFileSync(indexPath(this.ws, key), 'utf8')) as PipelineIndex;
    } catch {
      return undefined;
    }
  }

  writeIndex(key: string, index: PipelineIndex): void {
    this.ensureDir(this.ws.index);
    atomicWrite(indexPath(this.ws, key), JSON.stringify(index));
  }
}

/** Writes `path` whole or not at all; a failed write leaves no temporary file behind. */
export function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
