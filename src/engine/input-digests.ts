// Digests of declared inputs, with a stat cache: a file whose size, mtime and inode are unchanged since it
// was last hashed is not read again, which keeps a fully cached rerun fast however large the inputs are.
import { existsSync, lstatSync, mkdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { Digest } from '../util/brand.js';
import { digest } from '../util/brand.js';
import { hashFile, hashTree } from './hashing.js';
import { readTextInBlocks } from '../util/small-blocks.js';

interface StatEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly digest: Digest;
}

export class InputDigester {
  readonly #file: string;
  #entries: Map<string, StatEntry> | undefined;
  #dirty = false;
  /** Digests computed in this process, per absolute path (a path named by many nodes is hashed once). */
  readonly #memo = new Map<string, Promise<Digest | undefined>>();

  constructor(cacheFile: string) {
    this.#file = cacheFile;
  }

  /** The digest of a file or directory, or undefined when it does not exist. */
  digestOf(abs: string): Promise<Digest | undefined> {
    let found = this.#memo.get(abs);
    if (found === undefined) {
      found = this.#compute(abs);
      this.#memo.set(abs, found);
    }
    return found;
  }

  /** Writes the stat cache back if it learnt anything. Best effort: a lost cache only costs re-hashing. */
  save(): void {
    if (!this.#dirty || this.#entries === undefined) return;
    mkdirSync(dirname(this.#file), { recursive: true });
    const tmp = `${this.#file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.#entries)));
      renameSync(tmp, this.#file);
    } catch (e) {
      // A full disk leaves no temporary file behind.
      rmSync(tmp, { force: true });
      throw e;
    }
    this.#dirty = false;
  }

  async #compute(abs: string): Promise<Digest | undefined> {
    let stats: Stats;
    try {
      stats = lstatSync(abs);
    } catch {
      return undefined;
    }
    if (stats.isDirectory()) {
      // Links inside an input folder count by what they point at, like a linked input itself.
      const tree = await hashTree(abs, (file, s) => this.#fileDigest(file, s), { followLinks: true });
      return digest(`dir:${tree}`);
    }
    if (stats.isSymbolicLink()) {
      // Follow a symlinked input: what matters is the content it points at.
      if (!existsSync(abs)) return undefined;
      return this.#compute(realpathSync(abs));
    }
    // A FIFO or a device would be read until it ends, which may be never.
    if (!stats.isFile()) throw new Error(`${abs} is neither a file, a directory nor a symlink`);
    return this.#fileDigest(abs, stats);
  }

  async #fileDigest(abs: string, stats: Stats): Promise<Digest> {
    const entries = this.#load();
    const known = entries.get(abs);
    if (known && known.size === stats.size && known.mtimeMs === stats.mtimeMs && known.ino === stats.ino) {
      return known.digest;
    }
    const d = await hashFile(abs, stats.size);
    entries.set(abs, { size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino, digest: d });
    this.#dirty = true;
    return d;
  }

  #load(): Map<string, StatEntry> {
    if (this.#entries) return this.#entries;
    try {
      this.#entries = new Map(
        Object.entries(JSON.parse(readTextInBlocks(this.#file)) as Record<string, StatEntry>),
      );
    } catch {
      this.#entries = new Map();
    }
    return this.#entries;
  }
}
