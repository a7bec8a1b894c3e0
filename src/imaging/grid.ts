// A contact sheet: images laid out in a grid of equal cells, for reports (base-only vs composed samples).
import sharp from 'sharp';
import { encodePng } from './png.js';
import { assertRgb, type RgbImage } from './types.js';

export interface GridOptions {
  /** Cells per row. */
  readonly columns: number;
  /** Cell size in pixels; each image is resized to it. @default the largest image's size */
  readonly cellWidth?: number;
  readonly cellHeight?: number;
  /** Pixels between cells and around the sheet. @default 4 */
  readonly gap?: number;
  /** Sheet colour behind and between cells. @default [255, 255, 255] */
  readonly background?: readonly [number, number, number];
  /**
   * How images are resized into a cell: `nearest` keeps pixels sharp (small generated images blown up),
   * `lanczos3` for photographs. @default 'nearest'
   */
  readonly kernel?: 'nearest' | 'lanczos3';
}

async function fit(img: RgbImage, w: number, h: number, kernel: 'nearest' | 'lanczos3'): Promise<RgbImage> {
  if (img.width === w && img.height === h) return img;
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { kernel, fit: 'fill' })
    .raw()
    .toBuffer();
  return { width: w, height: h, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Lays `cells` out row by row; a `null` cell stays background (a missing sample). */
export async function composeGrid(
  cells: readonly (RgbImage | null)[],
  options: GridOptions,
): Promise<RgbImage> {
  const { columns } = options;
  if (!Number.isInteger(columns) || columns < 1)
    throw new RangeError(`columns: expected an integer ≥ 1, got ${columns}`);
  if (cells.length === 0) throw new RangeError('composeGrid: no cells');
  const present = cells.filter((c): c is RgbImage => c !== null);
  present.forEach((c, i) => assertRgb(c, `cell ${i}`));
  const cellW = options.cellWidth ?? Math.max(1, ...present.map((c) => c.width));
  const cellH = options.cellHeight ?? Math.max(1, ...present.map((c) => c.height));
  const gap = options.gap ?? 4;
  const [br, bg, bb] = options.background ?? [255, 255, 255];
  const rows = Math.ceil(cells.length / columns);
  const width = columns * cellW + (columns + 1) * gap;
  const height = rows * cellH + (rows + 1) * gap;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = br;
    data[i * 3 + 1] = bg;
    data[i * 3 + 2] = bb;
  }
  for (let k = 0; k < cells.length; k++) {
    const cell = cells[k];
    if (!cell) continue;
    const img = await fit(cell, cellW, cellH, options.kernel ?? 'nearest');
    const x0 = gap + (k % columns) * (cellW + gap);
    const y0 = gap + Math.floor(k / columns) * (cellH + gap);
    for (let y = 0; y < cellH; y++) {
      const src = img.data.subarray(y * cellW * 3, (y + 1) * cellW * 3);
      data.set(src, ((y0 + y) * width + x0) * 3);
    }
  }
  return { width, height, data };
}

/** composeGrid, encoded as PNG. */
export async function composeGridPng(
  cells: readonly (RgbImage | null)[],
  options: GridOptions,
): Promise<Buffer> {
  return encodePng(await composeGrid(cells, options));
}
