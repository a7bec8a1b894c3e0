// Empty directories for reuse. On ext4 under load `rmdir` costs milliseconds while `rename` and `mkdir`
// cost tens of microseconds, and every attempt needs a scratch dir and a checkpoint dir that are usually
// left empty: recycling them keeps per-node overhead near make's. A scratch dir is handed out where it
// lies in the pool (no rename at all); a checkpoint dir is renamed to its fingerprint's path and back.
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

export class DirPool {
  readonly #root: string;
  readonly #free: string[] = [];
  #next = 0;
  #made = false;

  /** `root` holds the pooled directories; it belongs to this process alone. */
  constructor(root: string) {
    this.#root = root;
  }

  /** An empty directory inside the pool, for as long as the caller needs it; `release` takes it back. */
  take(): string {
    const pooled = this.#free.pop();
    if (pooled !== undefined) return pooled;
    for (;;) {
      const path = this.#newName();
      try {
        mkdirSync(path);
        return path;
      } catch (e) {
        // Left by an earlier process with this pid (a Slurm job may still use it): another name.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
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
      if (dirname(path) === this.#root) {
        this.#free.push(path);
        return;
      }
      const target = this.#newName();
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

  /** A fresh name inside the pool (made on first use). */
  #newName(): string {
    if (!this.#made) {
      mkdirSync(this.#root, { recursive: true });
      this.#made = true;
    }
    return `${this.#root}/${this.#next++}`;
  }
}
