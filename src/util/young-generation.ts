/**
 * Keeps the main thread's young generation at the size a short run gives it. V8 doubles a semi-space
 * (up to 16 MB each, 32 MB for the pair, all of it resident) whenever as many bytes as it holds have
 * survived scavenges since it last grew. Loading a large pipeline file, where everything survives until
 * the pipeline is built, takes it to the maximum in one go (10,000 nodes: 32 MB where 1000 nodes reach
 * 9 MB), and a long run of small nodes gets there over time as the survivors of its scavenges add up
 * (a 1000-node run ends at 15 MB, a 10,000-node one at 29 to 32 MB): memory that grows with the node
 * count without holding anything a node needs.
 *
 * The semi-space's largest size is fixed when the heap is made, but its growth factor is read each
 * time it grows, so it is held at 1 (no growth) while a file loads (`withoutYoungGrowth`) and from when
 * the young generation has reached `YOUNG_CAP_BYTES` (`capYoungGeneration`, checked with the run's heap
 * bound). The flag is the process's: worker threads started later (the trainer's) keep their young
 * generation at its first size too, within their own `maxYoungGenerationSizeMb` anyway.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Both semi-spaces: what a 1000-node run of the bench's chains reaches by its end. */
export const YOUNG_CAP_BYTES = 16 * 1024 * 1024;

/** V8's default growth factor (`--semi-space-growth-factor`). */
const DEFAULT_FACTOR = 2;

let capped = false;

/** The young generation's committed size (both semi-spaces). */
export function youngBytes(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size;
  return 0;
}

/** Whether the young generation may no longer grow (it reached the cap). */
export function youngCapped(): boolean {
  return capped;
}

/** Stops the young generation's growth once it holds `YOUNG_CAP_BYTES` or more; after that, nothing. */
export function capYoungGeneration(): void {
  if (capped || youngBytes() < YOUNG_CAP_BYTES) return;
  setFlagsFromString('--semi-space-growth-factor=1');
  capped = true;
}

/**
 * Runs `load` with the young generation's growth held: what survives its scavenges (the YAML tree, the
 * pipeline) is promoted as it would be anyway, without the semi-spaces doubling to make room for it.
 * Loading takes no more CPU this way (a 10,000-node file: 0.60-0.70 s either way).
 */
export function withoutYoungGrowth<T>(load: () => T): T {
  setFlagsFromString('--semi-space-growth-factor=1');
  try {
    return load();
  } finally {
    if (!capped) setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_FACTOR}`);
    capYoungGeneration();
  }
}
