// A tiny rasteriser: one shape on a flat background, anti-aliased by supersampling (n×n points per pixel,
// the covered share blends shape and background colours). Pure TypeScript, no canvas.
import { COLOURS, type Combo, type ShapeName } from './palette.js';

/** A combination placed in the image: centre (cx, cy) and size r, in pixels. */
export interface Scene extends Combo {
  readonly cx: number;
  readonly cy: number;
  readonly r: number;
}

/** How far any shape reaches from its centre, in units of r: placement keeps this inside the image. */
export const EXTENT = 1.1;
/** Arm half-width of the cross and half-side of the square, in units of r (areas close to the circle's). */
const ARM = 0.35;
const HALF_SIDE = 0.85;

/** Whether the point (dx, dy) from the centre lies in the shape. The triangle points up, base at +r. */
export function insideShape(shape: ShapeName, dx: number, dy: number, r: number): boolean {
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy <= r * r;
    case 'square':
      return Math.abs(dx) <= HALF_SIDE * r && Math.abs(dy) <= HALF_SIDE * r;
    case 'triangle':
      return dy >= -r && dy <= r && Math.abs(dx) <= (EXTENT * r * (dy + r)) / (2 * r);
    case 'cross': {
      const ax = Math.abs(dx);
      const ay = Math.abs(dy);
      return (ax <= r && ay <= ARM * r) || (ay <= r && ax <= ARM * r);
    }
  }
}

/**
 * Renders `scene` into a width×height RGB buffer (HWC). `samples` per axis sets the anti-aliasing: 1 gives
 * hard edges, 4 (16 points per pixel) smooth ones.
 */
export function renderScene(scene: Scene, width: number, height: number, samples = 4): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  const bg = COLOURS[scene.background];
  const fg = COLOURS[scene.colour];
  for (let i = 0; i < width * height; i++) data.set(bg, i * 3);
  const reach = EXTENT * scene.r + 1;
  const x0 = Math.max(0, Math.floor(scene.cx - reach));
  const x1 = Math.min(width - 1, Math.ceil(scene.cx + reach));
  const y0 = Math.max(0, Math.floor(scene.cy - reach));
  const y1 = Math.min(height - 1, Math.ceil(scene.cy + reach));
  const n = Math.max(1, Math.floor(samples));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let hits = 0;
      for (let sy = 0; sy < n; sy++) {
        const dy = y + (sy + 0.5) / n - scene.cy;
        for (let sx = 0; sx < n; sx++) {
          if (insideShape(scene.shape, x + (sx + 0.5) / n - scene.cx, dy, scene.r)) hits++;
        }
      }
      if (hits === 0) continue;
      const cover = hits / (n * n);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) data[o + c] = Math.round((bg[c] ?? 0) * (1 - cover) + (fg[c] ?? 0) * cover);
    }
  }
  return data;
}
