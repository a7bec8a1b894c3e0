/**
 * The backward of a 2-D, ungrouped Conv with static shapes in "channel rows": values laid out as NHWC
 * flattened to [N·H·W, C], so that unfolding (im2col) is one Gather of whole rows (with one zero row
 * appended for the taps that fall in the padding) and each product is one Gemm over the whole batch:
 * - dX, for stride 1: g's rows unfolded the transposed way (for each input pixel and tap, the row of the
 *   output pixel that tap wrote, or the zero row) × the flipped kernel as [kh·kw·O, C]; on the tiny UNet
 *   (batch 16, 4×4 to 8×8) most layers take 10–25% less CPU than with ConvTranspose, which MLAS runs one
 *   image at a time as GEMMs 16 to 64 columns wide. Strided convs keep ConvTranspose (three in four of
 *   the transposed taps would read the zero row).
 * - dW, where dX made g's transposed rows: the input as columns [C, N·H·W] × those rows, [C, kh·kw·O];
 *   each (output pixel, tap) product appears once, so the input is never unfolded (the tiny UNet's
 *   training graph: about 12% less CPU). Otherwise g's rows ᵀ × the input unfolded to [N·Ho·Wo, kh·kw·C];
 *   against the earlier im2col (a strided Slice of the padded input per tap, then a Concat) the
 *   unfolding takes about half the CPU.
 * The forward stays a Conv: sharing the unfolded input with it saved no time in the whole graph and held
 * about 20 MB more per tiny.yaml session (docs/performance-log.md, 2026-12-05, session 6). Only Gather and
 * Gemm: no scatter-add, which onnxruntime runs in parallel without ordering the sums of one element.
 */
import { attr } from '../../attributes.js';
import type { Emitter } from '../emitter.js';

export interface ConvGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly pads: readonly number[];
  readonly group: number;
}

/** The unfolded input may take this many elements at most (1 GiB of float32); larger convs use the Conv form. */
const MAX_UNFOLDED = 2 ** 28;

export class RowsConv {
  private gRowsValue: string | undefined;
  /** g's rows unfolded the transposed way, [N·H·W, kh·kw·O], when inputGrad made them. */
  private pickedValue: string | undefined;

  private constructor(
    private readonly e: Emitter,
    private readonly g: string,
    private readonly geo: ConvGeometry,
    private readonly xs: readonly [number, number, number, number],
    private readonly ys: readonly [number, number, number, number],
  ) {}

  /** The channel-rows form of a conv, or undefined when it is not 2-D, grouped, not static, or too large. */
  static of(e: Emitter, x: string, g: string, geo: ConvGeometry): RowsConv | undefined {
    const xs = e.shape(x);
    const ys = e.shape(g);
    if (geo.group !== 1 || xs.length !== 4 || ![...xs, ...ys].every((d) => typeof d === 'number'))
      return undefined;
    const taps = (geo.kernel[0] as number) * (geo.kernel[1] as number);
    const [n, c] = xs as [number, number];
    const [, , ho, wo] = ys as [number, number, number, number];
    if (c * taps * n * ho * wo > MAX_UNFOLDED) return undefined;
    return new RowsConv(
      e,
      g,
      geo,
      xs as [number, number, number, number],
      ys as [number, number, number, number],
    );
  }

  /** dW: g's rows against the unfolded input, [O, kh·kw·C] laid out as W's [O, C, kh, kw]. */
  weightGrad(x: string): string {
    const { e } = this;
    const [, c] = this.xs;
    const [, o] = this.ys;
    const [kh, kw] = this.geo.kernel as [number, number];
    if (this.pickedValue !== undefined) {
      // The rows dX unfolded hold, for each input pixel and tap, the g row that tap wrote from the pixel:
      // against the input they give every (output pixel, tap) product once, so dW needs no unfolded input
      // (one Pad and one Gather of kh·kw times the input less). The input as columns [C, N·H·W] (whole
      // H·W blocks moved, cheaper than channel rows) makes a Gemm without transposed operands, which
      // MLAS runs fastest here; [C, kh·kw·O] to W's layout moves the O axis to the front.
      const [n, , h, wd] = this.xs;
      const xCols = e.reshape(e.transpose(x, [1, 0, 2, 3]), [c, n * h * wd]);
      const dwc = e.gemm(xCols, this.pickedValue, false, false);
      return e.reshape(e.transpose(e.reshape(dwc, [c, kh * kw, o]), [2, 0, 1]), [o, c, kh, kw]);
    }
    const dw = e.gemm(this.gRows(), this.unfold(x), true, false);
    return e.transpose(e.reshape(dw, [o, kh, kw, c]), [0, 3, 1, 2]);
  }

  /** dX for a stride-1 conv; undefined for a strided one or where g's unfolded rows would be too large. */
  inputGrad(w: string): string | undefined {
    const { e, geo } = this;
    const [n, c, h, wd] = this.xs;
    const [, o] = this.ys;
    const [kh, kw] = geo.kernel as [number, number];
    if (geo.strides.some((s) => s !== 1) || n * h * wd * kh * kw * o > MAX_UNFOLDED) return undefined;
    const dtype = e.dtype(w);
    let rows: string;
    if (this.pointwise()) {
      rows = e.gemm(this.gRows(), e.reshape(w, [o, c]), false, false);
    } else {
      const picked = this.gather(this.gRows(), 'transposed', n * h * wd * kh * kw, o);
      // W [O, C, kh, kw] to [kh·kw·O, C] as one axis moved to the front of [O, C, kh·kw]: onnxruntime
      // copies that in blocks, where the 4-D permutation [2, 3, 0, 1] went element by element (about
      // 15× the CPU on a 64×64×3×3 kernel).
      const flipped = e.reshape(e.transpose(e.reshape(w, [o, c, kh * kw]), [2, 0, 1]), [kh * kw * o, c]);
      this.pickedValue = e.reshape(picked, [n * h * wd, kh * kw * o]);
      rows = e.gemm(this.pickedValue, flipped, false, false);
    }
    return e.op(
      'Transpose',
      [e.reshape(rows, [n, h, wd, c])],
      { perm: attr.ints([0, 3, 1, 2]) },
      { dtype, shape: [n, c, h, wd] },
    );
  }

  /** g as rows [N·Ho·Wo, O], emitted once. */
  private gRows(): string {
    const [n, o, ho, wo] = this.ys;
    this.gRowsValue ??= this.e.reshape(this.e.transpose(this.g, [0, 2, 3, 1]), [n * ho * wo, o]);
    return this.gRowsValue;
  }

  /** The input as rows [N·H·W, C]. */
  private rows(x: string): string {
    const [n, c, h, w] = this.xs;
    return this.e.reshape(this.e.transpose(x, [0, 2, 3, 1]), [n * h * w, c]);
  }

  /** The input unfolded to [N·Ho·Wo, kh·kw·C] (taps in (i, j) order, channels innermost). */
  private unfold(x: string): string {
    const [n, c] = this.xs;
    const [, , ho, wo] = this.ys;
    const [kh, kw] = this.geo.kernel as [number, number];
    const rows = this.rows(x);
    if (this.pointwise() && this.geo.strides.every((s) => s === 1)) return rows;
    const unfolded = this.gather(rows, 'unfold', n * ho * wo * kh * kw, c);
    return this.e.reshape(unfolded, [n * ho * wo, kh * kw * c]);
  }

  /**
   * Rows of `rows` ([R, width]) picked by the index table `kind` (unfoldIndex or transposedIndex), where
   * R stands for an appended zero row. Layers of one geometry share the table (int32: row numbers stay
   * far below 2³¹ under MAX_UNFOLDED).
   */
  private gather(rows: string, kind: 'unfold' | 'transposed', length: number, width: number): string {
    const { e } = this;
    const dtype = e.dtype(rows);
    const r = e.staticShape(rows)[0] as number;
    const withZero = e.op('Pad', [rows, e.ints([0, 0, 1, 0])], {}, { dtype, shape: [r + 1, width] });
    // The tables depend on the sizes and the geometry, not on the channels.
    const [n, , h, w] = this.xs;
    const [, , ho, wo] = this.ys;
    const { kernel, strides, dilations, pads } = this.geo;
    const sizes = [[n, h, w, ho, wo], kernel, strides, dilations, pads];
    const key = `conv-rows.${kind}.${sizes.map((v) => v.join('x')).join('.')}`;
    const table = e.sharedConstant(key, 'int32', [length], () =>
      kind === 'unfold' ? this.unfoldIndex() : this.transposedIndex(),
    );
    return e.op('Gather', [withZero, table], { axis: attr.int(0) }, { dtype, shape: [length, width] });
  }

  /** A 1×1 kernel without padding: each output pixel reads one input pixel (its own at stride 1). */
  private pointwise(): boolean {
    return this.geo.kernel.every((k) => k === 1) && this.geo.pads.every((p) => p === 0);
  }

  /**
   * For output pixel (n, y, x) and tap (i, j), in that order, the input row the tap reads, or N·H·W (the
   * zero row) where it reads padding.
   */
  private unfoldIndex(): Int32Array {
    const [n, , h, w] = this.xs;
    const [, , ho, wo] = this.ys;
    const [kh, kw] = this.geo.kernel as [number, number];
    const [sh, sw] = this.geo.strides as [number, number];
    const [dh, dw] = this.geo.dilations as [number, number];
    const [pt, pl] = this.geo.pads as [number, number];
    const zero = n * h * w;
    const index = new Int32Array(n * ho * wo * kh * kw);
    let k = 0;
    for (let b = 0; b < n; b++)
      for (let y = 0; y < ho; y++)
        for (let x = 0; x < wo; x++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const row = y * sh + i * dh - pt;
              const col = x * sw + j * dw - pl;
              index[k++] = row < 0 || row >= h || col < 0 || col >= w ? zero : (b * h + row) * w + col;
            }
    return index;
  }

  /**
   * For input pixel (n, r, c) and tap (i, j), in that order, the row of g (stride 1) the tap wrote from
   * that pixel, or N·Ho·Wo (the zero row).
   */
  private transposedIndex(): Int32Array {
    const [n, , h, w] = this.xs;
    const [, , ho, wo] = this.ys;
    const [kh, kw] = this.geo.kernel as [number, number];
    const [dh, dw] = this.geo.dilations as [number, number];
    const [pt, pl] = this.geo.pads as [number, number];
    const zero = n * ho * wo;
    const index = new Int32Array(n * h * w * kh * kw);
    let k = 0;
    for (let b = 0; b < n; b++)
      for (let r = 0; r < h; r++)
        for (let c = 0; c < w; c++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const y = r + pt - i * dh;
              const x = c + pl - j * dw;
              index[k++] = y < 0 || y >= ho || x < 0 || x >= wo ? zero : (b * ho + y) * wo + x;
            }
    return index;
  }
}
