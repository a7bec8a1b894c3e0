// Aspect-ratio buckets as SDXL trains them: sizes whose sides are multiples of `step` and whose area is
// at most resolution², one per width, so every image is resized to the bucket closest to its own shape
// instead of being squashed or cropped to a square. For resolution 1024 and step 64 this yields SDXL's
// familiar list (1024×1024, 1152×896, 1216×832, 1344×768, 1536×640 and their transposes, …).

/** A bucket: height and width in pixels. */
export interface Bucket {
  readonly height: number;
  readonly width: number;
}

/** The default side step: resolution/16 rounded down to a multiple of 8, at least 8 (64 for 1024). */
export function defaultBucketStep(resolution: number): number {
  return Math.max(8, Math.floor(resolution / 16 / 8) * 8);
}

/**
 * Every bucket for `resolution` with sides multiple of `step` and aspect ratio (long/short) at most
 * `maxAspect`, sorted from tallest to widest. Always contains the square resolution×resolution when
 * resolution is a multiple of step.
 */
export function bucketList(resolution: number, step: number, maxAspect: number): Bucket[] {
  const area = resolution * resolution;
  const seen = new Set<string>();
  const out: Bucket[] = [];
  const add = (height: number, width: number) => {
    const key = `${height}x${width}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ height, width });
  };
  for (let width = step; width <= resolution * maxAspect; width += step) {
    const height = Math.floor(area / width / step) * step;
    if (height < step) continue;
    if (Math.max(width, height) / Math.min(width, height) > maxAspect + 1e-9) continue;
    add(height, width);
    add(width, height);
  }
  return out.sort(
    (a, b) => a.width / a.height - b.width / b.height || b.width * b.height - a.width * a.height,
  );
}

/** The bucket whose aspect ratio is nearest to h×w's, compared in log space (2:1 is as far from 1:1 as 1:2). */
export function nearestBucket(height: number, width: number, buckets: readonly Bucket[]): Bucket {
  const target = Math.log(width / height);
  let best: Bucket | undefined;
  let bestDist = Infinity;
  for (const b of buckets) {
    const d = Math.abs(Math.log(b.width / b.height) - target);
    if (
      d < bestDist - 1e-12 ||
      (Math.abs(d - bestDist) <= 1e-12 && best && b.width * b.height > best.width * best.height)
    ) {
      best = b;
      bestDist = d;
    }
  }
  if (!best) throw new RangeError('nearestBucket: empty bucket list');
  return best;
}
