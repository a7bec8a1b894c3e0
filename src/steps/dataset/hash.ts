// Deterministic numbers derived from content hashes, so that crops and the train/eval split depend only on
// an item's content and the seed, never on file order, file names or how many other items there are.
import { createHash } from 'node:crypto';
import type { RgbImage } from '../../imaging/types.js';

/**
 * An item's id: sha256 over a small header (`moe-rgb8 W×H`) and the decoded RGB pixels (after EXIF
 * orientation and alpha flattening). Decoded pixels rather than file bytes because the id must change
 * exactly when what the model sees changes: re-saving a PNG with other compression, stripping metadata or
 * converting the container keeps the id (and every cached embedding keyed by it), and byte-different
 * copies of the same picture are recognised as duplicates.
 */
export function pixelDigest(img: RgbImage): string {
  return createHash('sha256').update(`moe-rgb8 ${img.width}x${img.height}\n`).update(img.data).digest('hex');
}

/** A uniform 32-bit integer from (purpose, seed, id). */
export function hashU32(purpose: string, seed: number, id: string): number {
  return createHash('sha256').update(`${purpose}\0${seed}\0${id}`).digest().readUInt32BE(0);
}

/** A uniform number in [0, 1) from (purpose, seed, id). */
export function hashUnit(purpose: string, seed: number, id: string): number {
  return hashU32(purpose, seed, id) / 2 ** 32;
}
