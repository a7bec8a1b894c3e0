// Prompt adherence for the synthetic scenes: does a generated image show the shape, shape colour and
// background colour its prompt names? A deterministic classical-vision reading of the image:
//   background = the palette colour most of the border votes for (its median pixel as reference);
//   foreground = pixels far from that reference (Otsu threshold on the distance), 3×3 majority when
//                the border shows noise, largest component, holes filled;
//   colour     = the palette colour nearest the median foreground pixel (interior preferred);
//   shape      = from the centroid's height in the bounding box, solidity (area / convex hull) and
//                how much of the bounding box's corners the object fills.
import {
  COLOURS,
  isColour,
  isShape,
  nearestColour,
  type ColourName,
  type Rgb,
  type ShapeName,
} from './palette.js';
import { largestComponentFilled, majority3, shapeFeatures, type ShapeFeatures } from './features.js';

/** An 8-bit RGB image, HWC (the same shape as moe's imaging RgbImage). */
export interface ImageRgb {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface SceneReading {
  readonly background: ColourName;
  /** Undefined when no foreground object was found. */
  readonly colour: ColourName | undefined;
  readonly shape: ShapeName | undefined;
  readonly features: ShapeFeatures | undefined;
}

/** How moe's report shows one check: its key in the answer, a label, and a shorter one under each image. */
export interface CheckLabel {
  readonly key: string;
  readonly label: string;
  readonly short: string;
}

/** The checks as a report shows them, in that order: the object, its colour, then its surroundings. */
export const CHECK_LABELS: readonly CheckLabel[] = [
  { key: 'shape', label: 'shape', short: 'shape' },
  { key: 'color', label: 'shape colour', short: 'colour' },
  { key: 'background', label: 'background colour', short: 'background' },
];

export interface Adherence {
  readonly colorOk: boolean;
  readonly shapeOk: boolean;
  readonly backgroundOk: boolean;
  /** Share of the three checks that hold: 0, ⅓, ⅔ or 1. An image adheres when score is 1. */
  readonly score: number;
  /** What the prompt asks for; undefined when it is not of the form "a C S on a C background". */
  readonly expected:
    { readonly colour: ColourName; readonly shape: ShapeName; readonly background: ColourName } | undefined;
  readonly seen: SceneReading;
  /** What was read, as a phrase: "a green square on blue" ("nothing on blue" when no object was found). */
  readonly reading: string;
  /** How the checks read on a report page (CHECK_LABELS). */
  readonly labels: readonly CheckLabel[];
}

/** Foreground smaller than this share of the image counts as no object (specks of noise). */
const MIN_OBJECT_SHARE = 0.004;
/** Distances below this never count as foreground, even when Otsu splits a flat, noisy image. */
const MIN_THRESHOLD = 40;

/** Reads "a red circle on a blue background" (case and extra words tolerated). */
export function parsePrompt(prompt: string): Adherence['expected'] {
  const words: string[] = prompt.toLowerCase().match(/[a-z]+/g) ?? [];
  const on = words.indexOf('on');
  if (on < 0) return undefined;
  const colour = words.slice(0, on).find(isColour);
  const shape = words.slice(0, on).find(isShape);
  const background = words.slice(on + 1).find(isColour);
  return colour && shape && background ? { colour, shape, background } : undefined;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? 0;
}

function pixel(img: ImageRgb, i: number): Rgb {
  return [img.data[i * 3] ?? 0, img.data[i * 3 + 1] ?? 0, img.data[i * 3 + 2] ?? 0];
}

function medianRgb(img: ImageRgb, indices: readonly number[]): Rgb {
  return [0, 1, 2].map((c) => median(indices.map((i) => img.data[i * 3 + c] ?? 0))) as unknown as Rgb;
}

function borderIndices(w: number, h: number): number[] {
  const ring = Math.max(1, Math.round(Math.min(w, h) / 32));
  const out: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++)
      if (x < ring || y < ring || x >= w - ring || y >= h - ring) out.push(y * w + x);
  }
  return out;
}

/** Otsu's threshold over integer distances (0…442): maximises the between-class variance. */
function otsu(values: Float32Array): number {
  const bins = 443;
  const hist = new Float64Array(bins);
  for (const v of values) {
    const b = Math.min(bins - 1, Math.round(v));
    hist[b] = (hist[b] ?? 0) + 1;
  }
  let total = 0;
  let sum = 0;
  for (let i = 0; i < bins; i++) {
    total += hist[i] ?? 0;
    sum += i * (hist[i] ?? 0);
  }
  let w0 = 0;
  let sum0 = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < bins; t++) {
    w0 += hist[t] ?? 0;
    sum0 += t * (hist[t] ?? 0);
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const between = w0 * w1 * (sum0 / w0 - (sum - sum0) / w1) ** 2;
    if (between > bestVar) {
      bestVar = between;
      best = t;
    }
  }
  return best + 0.5;
}

/** The bounding box's corners count as filled above this share (square ≥ 0.4, circle and cross ≈ 0). */
const CORNERS_FILLED = 0.25;

/**
 * Decision rules, each on the feature that separates its shapes most widely: balance (upward triangle ⅔,
 * the others ½), solidity (cross ≈ 0.73–0.82, convex shapes ≥ 0.9) and the bounding box's corners (a
 * circle and a cross never reach them; a square fills them, still about 0.4 at 32 px once noise
 * filtering has rounded its corners). A shape that fills its corners is a square even when its sides bow
 * inwards (solidity below a cross's threshold, as a generated square's often do): a cross's arms end
 * short of every corner.
 */
function classifyShape(f: ShapeFeatures): ShapeName {
  if (f.balance > 0.58) return 'triangle';
  if (f.cornerFill > CORNERS_FILLED) return 'square';
  return f.solidity < 0.86 ? 'cross' : 'circle';
}

/** Reads background, object colour and shape from an image. */
export function readScene(img: ImageRgb): SceneReading {
  const { width: w, height: h } = img;
  const border = borderIndices(w, h);
  const votes = new Map<ColourName, number[]>();
  for (const i of border) {
    const name = nearestColour(pixel(img, i));
    const list = votes.get(name) ?? [];
    list.push(i);
    votes.set(name, list);
  }
  const [background, voters] = [...votes].reduce((a, b) => (b[1].length > a[1].length ? b : a));
  const ref = medianRgb(img, voters);
  const dist = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const p = pixel(img, i);
    dist[i] = Math.hypot(p[0] - ref[0], p[1] - ref[1], p[2] - ref[2]);
  }
  const threshold = Math.max(MIN_THRESHOLD, otsu(dist));
  const raw = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) raw[i] = (dist[i] ?? 0) > threshold ? 1 : 0;
  // The 3×3 majority removes noise specks but also rounds corners, so it runs only on noisy images:
  // those where more than 1% of the border (which is background) crosses the threshold.
  const noisy = border.filter((i) => raw[i] === 1).length > 0.01 * border.length;
  const cleaned = noisy ? majority3({ width: w, height: h, data: raw }) : { width: w, height: h, data: raw };
  const mask = largestComponentFilled(cleaned);
  const features = shapeFeatures(mask);
  if (!features || features.area < MIN_OBJECT_SHARE * w * h) {
    return { background, colour: undefined, shape: undefined, features };
  }
  // The interior (pixels whose 4 neighbours are all foreground) avoids anti-aliased and blurred edges.
  const inner: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < w * h; i++) {
    if (mask.data[i] !== 1) continue;
    all.push(i);
    const x = i % w;
    if (x > 0 && x < w - 1 && mask.data[i - 1] && mask.data[i + 1] && mask.data[i - w] && mask.data[i + w])
      inner.push(i);
  }
  const colour = nearestColour(medianRgb(img, inner.length >= 4 ? inner : all));
  return { background, colour, shape: classifyShape(features), features };
}

/** Scores one generated image against its prompt. */
export function scoreAdherence(img: ImageRgb, prompt: string): Adherence {
  const expected = parsePrompt(prompt);
  const seen = readScene(img);
  const colorOk = expected !== undefined && seen.colour === expected.colour;
  const shapeOk = expected !== undefined && seen.shape === expected.shape;
  const backgroundOk = expected !== undefined && seen.background === expected.background;
  return {
    colorOk,
    shapeOk,
    backgroundOk,
    score: (Number(colorOk) + Number(shapeOk) + Number(backgroundOk)) / 3,
    expected,
    seen,
    reading: readingOf(seen),
    labels: CHECK_LABELS,
  };
}

/** A scene reading as a phrase: the object (its colour when read) on the background. */
export function readingOf(seen: SceneReading): string {
  const object =
    seen.shape === undefined ? 'nothing' : `a ${seen.colour ? `${seen.colour} ` : ''}${seen.shape}`;
  return `${object} on ${seen.background}`;
}

/** The palette, for reports that want to show it. */
export const PALETTE: Readonly<Record<ColourName, Rgb>> = COLOURS;
