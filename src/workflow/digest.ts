// Content digests of model files, remembered per (path, size, mtime, inode) in a small memo file: an SDXL
// text encoder is gigabytes, and hashing it on every run would cost more than the cache saves.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface MemoEntry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly sha256: string;
}

/** Hashes files (and folders, as the sorted list of their files' digests), memoised in `memoFile`. */
export class DigestMemo {
  private entries: Record<string, MemoEntry> | undefined;
  private dirty = false;

  constructor(private readonly memoFile: string) {}

  /** sha256 of a file's bytes, or of a folder's files (relative name and digest, sorted). */
  async digest(path: string): Promise<string> {
    const s = await stat(path);
    if (s.isDirectory()) {
      const names = (await readdir(path)).sort();
      const parts: string[] = [];
      for (const name of names) parts.push(`${name}:${await this.digest(join(path, name))}`);
      return createHash('sha256').update(parts.join('\n')).digest('hex');
    }
    const memo = await this.load();
    const known = memo[path];
    if (known && known.size === s.size && known.mtimeMs === s.mtimeMs && known.ino === s.ino)
      return known.sha256;
    const sha256 = await hashFile(path);
    memo[path] = { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, sha256 };
    this.dirty = true;
    return sha256;
  }

  /** Writes the memo back (atomically) when it learnt something. */
  async save(): Promise<void> {
    if (!this.dirty || this.entries === undefined) return;
    const dir = join(this.memoFile, '..');
    await mkdir(dir, { recursive: true });
    // Unique per write: nodes of one process (a sweep's variants) save the same memo at the same moment.
    const tmp = `${this.memoFile}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(this.entries));
    await rename(tmp, this.memoFile);
    this.dirty = false;
  }

  private async load(): Promise<Record<string, MemoEntry>> {
    if (this.entries) return this.entries;
    try {
      const parsed: unknown = JSON.parse(await readFile(this.memoFile, 'utf8'));
      this.entries =
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, MemoEntry>)
          : {};
    } catch {
      // No memo yet, or a damaged one: start over; digests are recomputed, never trusted blindly.
      this.entries = {};
    }
    return this.entries;
  }
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 over a canonical JSON record: the key of a cache entry. */
export function recordKey(record: Readonly<Record<string, unknown>>): string {
  const sorted = Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
