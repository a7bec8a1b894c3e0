/**
 * Keeps the garbage of a long loop from piling up. V8 puts off its full collection while the old
 * generation grows towards a limit it sized from the last one, so a run of thousands of small nodes
 * fills tens of MB with the promoted garbage of finished nodes before the first full collection, and
 * the process keeps those pages. `boundHeap()` is called once per unit of work (a committed node);
 * every 64th call it reads the old generation's size, and when that has grown by
 * more than 4 MB since the smallest size seen after a collection, it asks for a full collection. So a
 * collection comes after at least 4 MB of new old-generation objects, never per unit of work (with the
 * pipeline held packed and finished nodes' results trimmed, what a collection marks is small: a few ms
 * each, 3% of a 3000-node run's own CPU; at 16 MB a 10,000-node run peaked 5 MB higher).
 * The first check also collects when the old generation already holds 16 MB: what loading a large
 * pipeline file left behind (20 MB of garbage beside a 10,000-node pipeline) is collected as the run
 * starts, instead of the run's own garbage piling on top of it up to the process's peak.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { collectAll } from './scavenge.js';
import { capYoungGeneration } from './young-generation.js';

const CHECK_EVERY = 64;
/** The old generation's growth past its smallest size after a collection that asks for the next one. */
const GROWTH_BYTES = 4 * 1024 * 1024;
/** What loading a pipeline may leave in the old generation before it is collected as the run starts. */
const LOAD_BYTES = 16 * 1024 * 1024;

let calls = 0;
/** The smallest size seen after a collection; undefined before the first check. */
let base: number | undefined;

/** The bytes used by the spaces that only a full collection frees. */
function oldBytes(): number {
  let used = 0;
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name !== 'new_space' && s.space_name !== 'new_large_object_space') used += s.space_used_size;
  }
  return used;
}

export function boundHeap(): void {
  if (++calls < CHECK_EVERY) return;
  calls = 0;
  const used = oldBytes();
  // At the first check, an old generation already past the growth allowed is collected at once.
  base ??= used < LOAD_BYTES ? used : 0;
  // V8's own full collections lower the mark too.
  if (used < base) base = used;
  if (used - base < GROWTH_BYTES) return;
  collectAll();
  base = oldBytes();
}

/**
 * `boundHeap` for a run's committed nodes: at the same checks it also stops the young generation's
 * growth once that has reached its cap (`capYoungGeneration`), which a long run would otherwise double
 * to V8's maximum.
 */
export function boundRunHeap(): void {
  boundHeap();
  if (calls === 0) capYoungGeneration();
}

/**
 * Collects what building a large pipeline left behind, once the loader has returned: its YAML tree and
 * the copies made while checking it, several times the size of the pipeline, are garbage in the old
 * generation then (about 30 MB for 10,000 nodes). Collected before the run starts, the pages they fill
 * are reused instead of the run's allocations (and the pipeline cache's) adding pages beside them
 * (a 10,000-node run held about 135 MB while loading, 125 MB with this). Below the growth the run
 * allows (a pipeline of a few thousand nodes or less) nothing is done. It also serves as the run's
 * first check (see `boundHeap`).
 */
export function collectLoadGarbage(): void {
  if (oldBytes() < LOAD_BYTES) return;
  collectAll();
  base = oldBytes();
  calls = 0;
}
