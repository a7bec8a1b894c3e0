// Geometry of a binary mask: the pieces the shape classifier is built from. Pure functions on typed arrays.

/** A binary mask, 1 = foreground, row-major. */
export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Majority of the 3×3 neighbourhood (pixels outside count as background): drops specks, fills pinholes. */
export function majority3(m: Mask): Mask {
  const { width: w, height: h } = m;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < w) n += m.data[yy * w + xx] ?? 0;
        }
      }
      out[y * w + x] = n >= 5 ? 1 : 0;
    }
  }
  return { width: w, height: h, data: out };
}

/** Flood fill over pixels where `data[i] === value`, 4-connected, from `start`; returns the indices. */
function flood(m: Mask, start: number, value: number, seen: Uint8Array): number[] {
  const { width: w, height: h } = m;
  const found: number[] = [];
  const stack = [start];
  seen[start] = 1;
  while (stack.length > 0) {
    const i = stack.pop() as number;
    found.push(i);
    const x = i % w;
    const y = (i - x) / w;
    const next = [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1];
    for (const j of next) {
      if (j >= 0 && !seen[j] && m.data[j] === value) {
        seen[j] = 1;
        stack.push(j);
      }
    }
  }
  return found;
}

/** The largest 4-connected foreground component, with its holes filled (noise inside the shape). */
export function largestComponentFilled(m: Mask): Mask {
  const { width: w, height: h } = m;
  const seen = new Uint8Array(w * h);
  let best: number[] = [];
  for (let i = 0; i < w * h; i++) {
    if (m.data[i] === 1 && !seen[i]) {
      const comp = flood(m, i, 1, seen);
      if (comp.length > best.length) best = comp;
    }
  }
  const only = new Uint8Array(w * h);
  for (const i of best) only[i] = 1;
  // Background reachable from the border stays background; anything else is a hole.
  const outside = new Uint8Array(w * h);
  const single: Mask = { width: w, height: h, data: only };
  for (let x = 0; x < w; x++) {
    for (const i of [x, (h - 1) * w + x]) if (!only[i] && !outside[i]) flood(single, i, 0, outside);
  }
  for (let y = 0; y < h; y++) {
    for (const i of [y * w, y * w + w - 1]) if (!only[i] && !outside[i]) flood(single, i, 0, outside);
  }
  const filled = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) filled[i] = only[i] || !outside[i] ? 1 : 0;
  return { width: w, height: h, data: filled };
}

export interface ShapeFeatures {
  readonly area: number;
  /** Bounding box width and height in pixels. */
  readonly boxWidth: number;
  readonly boxHeight: number;
  /** area / bounding-box area: square 1, circle π/4, cross ≈ 0.58, triangle ½. */
  readonly fill: number;
  /** area / convex-hull area: 1 for convex shapes, ≈ 0.73 for the cross. */
  readonly solidity: number;
  /** Centroid height within the bounding box (0 top, 1 bottom): ⅔ for an upward triangle, ½ otherwise. */
  readonly balance: number;
  /**
   * Foreground share of the four corner triangles of the bounding box (legs a quarter of its shorter
   * side): a square fills them, a circle does not reach them (its edge is 0.29 of the side from a corner
   * along each axis), a triangle fills the two at its base.
   */
  readonly cornerFill: number;
}

function cornerFill(m: Mask, minX: number, minY: number, bw: number, bh: number): number {
  const leg = Math.max(1, Math.min(bw, bh) / 4);
  let inside = 0;
  let filled = 0;
  for (let y = 0; y < bh; y++) {
    const dy = Math.min(y, bh - 1 - y) + 0.5;
    for (let x = 0; x < bw; x++) {
      if (Math.min(x, bw - 1 - x) + 0.5 + dy > leg) continue;
      inside++;
      filled += m.data[(minY + y) * m.width + minX + x] === 1 ? 1 : 0;
    }
  }
  return inside === 0 ? 0 : filled / inside;
}

type Point = readonly [number, number];
const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Andrew's monotone chain; `points` sorted by x then y. */
function hull(points: readonly Point[]): Point[] {
  const half = (order: readonly Point[]): Point[] => {
    const chain: Point[] = [];
    for (const p of order) {
      while (
        chain.length >= 2 &&
        cross(chain[chain.length - 2] as Point, chain[chain.length - 1] as Point, p) <= 0
      ) {
        chain.pop();
      }
      chain.push(p);
    }
    return chain.slice(0, -1);
  };
  return [...half(points), ...half([...points].reverse())];
}

/**
 * Area, bounding box, fill and solidity of a mask. The hull is taken over pixel centres; by Pick's theorem
 * the pixels whose centres it covers number about hullArea + perimeter/2 + 1, which is what the pixel
 * count is compared with, so a digital convex shape has solidity close to 1 at any size.
 */
export function shapeFeatures(m: Mask): ShapeFeatures | undefined {
  const { width: w, height: h } = m;
  let area = 0;
  let sumY = 0;
  let minX = w;
  let maxX = -1;
  let minY = h;
  let maxY = -1;
  const extremes: Point[] = [];
  for (let y = 0; y < h; y++) {
    let left = -1;
    let right = -1;
    for (let x = 0; x < w; x++) {
      if (m.data[y * w + x] !== 1) continue;
      area++;
      sumY += y;
      if (left < 0) left = x;
      right = x;
    }
    if (left < 0) continue;
    extremes.push([left, y], [right, y]);
    minX = Math.min(minX, left);
    maxX = Math.max(maxX, right);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  if (area === 0) return undefined;
  const boxWidth = maxX - minX + 1;
  const boxHeight = maxY - minY + 1;
  const pts = extremes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const hp = hull(pts);
  let twice = 0;
  let perimeter = 0;
  for (let i = 0; i < hp.length; i++) {
    const a = hp[i] as Point;
    const b = hp[(i + 1) % hp.length] as Point;
    twice += a[0] * b[1] - b[0] * a[1];
    perimeter += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  const covered = Math.abs(twice) / 2 + perimeter / 2 + 1;
  return {
    area,
    boxWidth,
    boxHeight,
    fill: area / (boxWidth * boxHeight),
    solidity: Math.min(1, area / covered),
    balance: (sumY / area - minY + 0.5) / boxHeight,
    cornerFill: cornerFill(m, minX, minY, boxWidth, boxHeight),
  };
}
