// Content digests of files and directory trees. A tree's digest covers each entry's relative path, kind
// (file, executable file, symlink, directory) and content, so equal digests mean byte-identical trees.
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  createReadStream,
  fchmodSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  lstatSync,
  realpathSync,
  statSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import type { Digest } from '../util/brand.js';
import { digest } from '../util/brand.js';

/** Files up to this size are read in one call; larger ones are streamed so the event loop keeps going. */
const SYNC_LIMIT = 1 << 20;

/**
 * Node's one-shot hash (20.12 and later): a small file's digest without a Hash object, which costs more
 * than hashing its bytes. Older Node gets the same digest from `createHash`.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: Buffer | string, encoding: 'hex') => string })
  .hash;

/** The SHA-256 of `data` (a string as UTF-8) in hex, in one call where Node has one. */
export function sha256Hex(data: Buffer | string): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/** Node's one-shot hash with a Buffer out (20.12 and later), where it has one. */
const oneShotBuffer = oneShot as unknown as
  ((algorithm: string, data: Buffer | string, encoding: 'buffer') => Buffer) | undefined;

/**
 * The first `bytes` bytes of `data`'s SHA-256 in hex, as a string of its own: a slice of the whole hex
 * string would keep all 64 digits alive for as long as it is held (a store stamp: for a whole run).
 */
export function sha256HexPrefix(data: Buffer | string, bytes: number): string {
  const sum = oneShotBuffer
    ? oneShotBuffer('sha256', data, 'buffer')
    : createHash('sha256').update(data).digest();
  return sum.toString('hex', 0, bytes);
}

/** One buffer reused for every small file `hashOutputFile` reads (they are read and hashed one at a time). */
let scratch = Buffer.allocUnsafe(1 << 16);

/**
 * The content digest of an output file about to be committed, which also loses its write bits
 * (`mode & 0o555`) through the same open: one open, one read and one fchmod for a small file, where
 * reading it whole and a `chmod` by path cost a stat, a second read and a second path walk. A file whose
 * size is not `size` when read (something still writes it) is read whole as `hashFile` would.
 */
export async function hashOutputFile(path: string, size: number, mode: number): Promise<Digest> {
  if (size > SYNC_LIMIT) {
    const d = await hashFile(path, size);
    chmodSync(path, mode & 0o555);
    return d;
  }
  const fd = openSync(path, 'r');
  try {
    if (scratch.length < size + 1) scratch = Buffer.allocUnsafe(Math.max(size + 1, scratch.length * 2));
    // One byte more than the size: a short read of a regular file means its end.
    const n = readSync(fd, scratch, 0, size + 1, 0);
    fchmodSync(fd, mode & 0o555);
    if (n === size) return digest(sha256Hex(scratch.subarray(0, n)));
  } finally {
    closeSync(fd);
  }
  return hashFile(path, 0);
}

export async function hashFile(path: string, size: number): Promise<Digest> {
  if (size <= SYNC_LIMIT) {
    return digest(sha256Hex(readFileSync(path)));
  }
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

export interface HashTreeOptions {
  /**
   * Hash what symlinks point at instead of the link text (for inputs: the user's files, wherever they
   * are). A link to a directory is hashed as that directory's tree; one that points nowhere as `missing`.
   */
  readonly followLinks?: boolean;
}

/**
 * The digest of a directory tree. `fileDigest` supplies each regular file's content digest (a stat cache
 * can answer without reading).
 */
export async function hashTree(
  root: string,
  fileDigest: (abs: string, stats: Stats) => Promise<Digest> = (abs, stats) => hashFile(abs, stats.size),
  opts: HashTreeOptions = {},
  entries: readonly TreeEntry[] = listTree(root),
  seen?: ReadonlySet<string>,
): Promise<Digest> {
  // One string hashed in one call: the digest of the lines one after another, as a Hash object's would be.
  let text = 'tree\0';
  for (const entry of entries) {
    const abs = join(root, entry.path);
    let content: string;
    if (entry.kind === 'dir') content = '';
    else if (entry.kind === 'link') {
      if (opts.followLinks) {
        // The trees being hashed, against cycles: asked only here, as a realpath costs a stat per path
        // component, too much for every output tree a node commits.
        seen ??= new Set([safeRealpath(root)]);
        content = await linkTarget(abs, fileDigest, opts, seen);
      } else content = readlinkSync(abs);
    } else content = await fileDigest(abs, entry.stats);
    text += `${entry.kind}\0${entry.path}\0${content}\n`;
  }
  return digest(sha256Hex(text));
}

/** What a followed link contributes: its target file's digest, its target tree's digest, or `missing`. */
async function linkTarget(
  abs: string,
  fileDigest: (abs: string, stats: Stats) => Promise<Digest>,
  opts: HashTreeOptions,
  seen: ReadonlySet<string>,
): Promise<string> {
  const stats = statSync(abs, { throwIfNoEntry: false });
  if (!stats) return 'missing';
  const real = realpathSync(abs);
  if (stats.isFile()) return `file:${await fileDigest(real, stats)}`;
  if (!stats.isDirectory()) return 'other';
  // A link back into a directory being hashed would never end.
  if (seen.has(real)) return `cycle:${readlinkSync(abs)}`;
  return `dir:${await hashTree(real, fileDigest, opts, listTree(real), new Set([...seen, real]))}`;
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Symlinks in an output tree that would not survive its move into the store or that point outside it:
 * an absolute link, or a relative one that climbs out of the tree. Their targets' content is not part
 * of the digest, so a change there would go unseen: such outputs are refused.
 */
export function escapingLinks(root: string, entries: readonly TreeEntry[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'link') continue;
    const target = readlinkSync(join(root, entry.path));
    const resolved = posix.normalize(posix.join(posix.dirname(entry.path), target));
    if (isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
      out.push(`${entry.path} → ${target}`);
    }
  }
  return out;
}
