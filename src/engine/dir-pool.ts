// Empty directories for reuse. On ext4 under load `rmdir` costs milliseconds while `rename` and `mkdir`
// cost tens of microseconds, and every attempt needs a scratch dir and a checkpoint dir that are usually
// left empty: recycling them keeps per-node overhead near make's.
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export class DirPool {
  readonly #root: string;
  readonly #free: string[] = [];
  #next = 0;
  #made = false;

  /** `root` holds the pooled directories; it belongs to this process alone. */
  constructor(root: string) {
    this.#root = root;
  }

  /** Makes `path` an empty directory (its parent must exist). */
  acquire(path: string): void {
    const pooled = this.#free.pop();
    if (pooled !== undefined) {
      try {
        renameSync(pooled, path);
        return;
      } catch {
        // `path` exists already (a checkpoint kept from an earlier attempt): keep it as it is.
        this.#free.push(pooled);
      }
    }
    mkdirSync(path, { recursive: true });
  }

  /** Takes back a directory that is no longer needed: kept for reuse when empty, else deleted. */
  release(path: string): void {
    let entries: string[];
    try {
      entries = readdirSync(path);
    } catch {
      return;
    }
    try {
      if (entries.length > 0) {
        rmSync(path, { recursive: true, force: true });
        return;
      }
      if (!this.#made) {
        mkdirSync(this.#root, { recursive: true });
        this.#made = true;
      }
      const target = join(this.#root, String(this.#next++));
      try {
        renameSync(path, target);
        this.#free.push(target);
      } catch {
        rmSync(path, { recursive: true, force: true });
      }
    } catch {
      // Left for `moe gc`: a directory that cannot be removed now must not fail a node that committed.
    }
  }

  /** Removes the pooled directories and the pool itself. */
  close(): void {
    try {
      for (const dir of this.#free.splice(0)) rmdirSync(dir);
      if (this.#made) rmSync(this.#root, { recursive: true, force: true });
    } catch {
      // Left for `moe gc`.
    }
  }
}
