// Content digests of files and directory trees. A tree's digest covers each entry's relative path, kind
// (file, executable file, symlink, directory) and content, so equal digests mean byte-identical trees.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readdirSync, readlinkSync, lstatSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../util/brand.js';
import { digest } from '../util/brand.js';

/** Files up to this size are read in one call; larger ones are streamed so the event loop keeps going. */
const SYNC_LIMIT = 1 << 20;

export async function hashFile(path: string, size: number): Promise<Digest> {
  if (size <= SYNC_LIMIT) return digest(createHash('sha256').update(readFileSync(path)).digest('hex'));
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return digest(hash.digest('hex'));
}

export interface TreeEntry {
  /** Path relative to the tree root, `/`-separated. */
  readonly path: string;
  readonly kind: 'file' | 'exec' | 'link' | 'dir';
  readonly stats: Stats;
}

/** Every entry under `root`, sorted by path, symlinks not followed. */
export function listTree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const stats = lstatSync(abs);
      if (stats.isSymbolicLink()) out.push({ path: rel, kind: 'link', stats });
      else if (stats.isDirectory()) {
        out.push({ path: rel, kind: 'dir', stats });
        walk(abs, rel);
      } else if (stats.isFile()) out.push({ path: rel, kind: stats.mode & 0o111 ? 'exec' : 'file', stats });
      else throw new TreeError(`${abs} is neither a file, a directory nor a symlink`);
    }
  };
  walk(root, '');
  return out;
}

export class TreeError extends Error {}

/**
 * The digest of a directory tree. `fileDigest` supplies each regular file's content digest (a stat cache
 * can answer without reading).
 */
export async function hashTree(
  root: string,
  fileDigest: (abs: string, stats: Stats) => Promise<Digest> = (abs, stats) => hashFile(abs, stats.size),
): Promise<Digest> {
  const hash = createHash('sha256').update('tree\0');
  for (const entry of listTree(root)) {
    const abs = join(root, entry.path);
    let content: string;
    if (entry.kind === 'dir') content = '';
    else if (entry.kind === 'link') content = readlinkSync(abs);
    else content = await fileDigest(abs, entry.stats);
    hash.update(`${entry.kind}\0${entry.path}\0${content}\n`);
  }
  return digest(hash.digest('hex'));
}
