import { Random } from '../math/random.js';

/**
 * Deterministic images of flat coloured shapes on flat backgrounds, the kind of picture the tiny family
 * is for. The tiny VAE is fitted on them and its reconstruction is measured on them. Values are CHW float32
 * in [-1, 1], as the VAE takes them.
 */

const PALETTE: readonly (readonly [number, number, number])[] = [
  [220, 40, 40],
  [40, 170, 60],
  [40, 80, 220],
  [240, 210, 40],
  [245, 245, 245],
  [20, 20, 20],
  [150, 60, 200],
  [250, 140, 30],
];

type Shape = 'circle' | 'square' | 'triangle' | 'cross';
const SHAPES: readonly Shape[] = ['circle', 'square', 'triangle', 'cross'];

function inside(shape: Shape, dx: number, dy: number, r: number): boolean {
  switch (shape) {
    case 'circle':
      return dx * dx + dy * dy < r * r;
    case 'square':
      return Math.abs(dx) < r && Math.abs(dy) < r;
    case 'triangle':
      return dy < r && dy > -r && Math.abs(dx) < (dy + r) / 2;
    case 'cross':
      return (Math.abs(dx) < r / 3 && Math.abs(dy) < r) || (Math.abs(dy) < r / 3 && Math.abs(dx) < r);
  }
}

/** One size×size image with one or two shapes, written into `out` (3·size·size values). */
export function renderShapes(rng: Random, size: number, out: Float32Array): void {
  const plane = size * size;
  const bg = rng.int(PALETTE.length);
  const pick = () => {
    let c = rng.int(PALETTE.length - 1);
    if (c >= bg) c++;
    return c;
  };
  const colour = new Uint8Array(plane).fill(bg);
  const count = 1 + (rng.uniform() < 0.3 ? 1 : 0);
  for (let s = 0; s < count; s++) {
    const shape = SHAPES[rng.int(SHAPES.length)] ?? 'circle';
    const c = pick();
    const cx = rng.range(0.25, 0.75) * size;
    const cy = rng.range(0.25, 0.75) * size;
    const r = rng.range(0.12, 0.3) * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++)
        if (inside(shape, x + 0.5 - cx, y + 0.5 - cy, r)) colour[y * size + x] = c;
    }
  }
  for (let i = 0; i < plane; i++) {
    const rgb = PALETTE[colour[i] ?? 0] ?? [0, 0, 0];
    for (let ch = 0; ch < 3; ch++) out[ch * plane + i] = (rgb[ch] ?? 0) / 127.5 - 1;
  }
}

/** `count` images as one NCHW batch. */
export function syntheticBatch(seed: number, count: number, size: number): Float32Array {
  const rng = new Random(seed);
  const out = new Float32Array(count * 3 * size * size);
  for (let i = 0; i < count; i++)
    renderShapes(rng, size, out.subarray(i * 3 * size * size, (i + 1) * 3 * size * size));
  return out;
}
