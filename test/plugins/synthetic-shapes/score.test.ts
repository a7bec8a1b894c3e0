import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type Sharp } from 'sharp';
import {
  COLOUR_NAMES,
  SHAPE_NAMES,
  caption,
  holdOut,
  parsePrompt,
  renderScene,
  sceneAt,
  scoreAdherence,
  type ImageRgb,
  type Scene,
} from '../../../plugins/synthetic-shapes/index.js';

const SIZE = 64;
const options = {
  count: 200,
  width: SIZE,
  height: SIZE,
  seed: 11,
  evalFraction: 0.1,
  size: 0.3,
  sizeJitter: 0.25,
  positionJitter: 0.1,
};
const { train } = holdOut(options.seed, options.evalFraction);
const scenes: Scene[] = Array.from({ length: 200 }, (_, i) => sceneAt(i, train, options));
const images: ImageRgb[] = scenes.map((s) => ({
  width: SIZE,
  height: SIZE,
  data: renderScene(s, SIZE, SIZE),
}));

function gaussianNoise(img: ImageRgb, sigma: number, seed: number): ImageRgb {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  const data = img.data.map((v) => {
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return Math.max(0, Math.min(255, Math.round(v + sigma * g)));
  });
  return { ...img, data };
}

async function viaSharp(img: ImageRgb, op: (s: Sharp) => Sharp): Promise<ImageRgb> {
  const raw = { raw: { width: img.width, height: img.height, channels: 3 as const } };
  const buf = await op(sharp(img.data, raw)).toBuffer();
  const data = await sharp(buf, buf.length === img.data.length ? raw : {})
    .removeAlpha()
    .raw()
    .toBuffer();
  return { ...img, data: new Uint8Array(data) };
}

function accuracy(imgs: readonly ImageRgb[]): number {
  return imgs.filter((img, i) => scoreAdherence(img, caption(scenes[i]!)).score === 1).length / imgs.length;
}

test('the scorer reads ≥ 99% of 200 clean 64×64 generator images correctly', () => {
  const acc = accuracy(images);
  assert.ok(acc >= 0.99, `accuracy ${acc}`);
  const shapes = new Set(scenes.map((s) => s.shape));
  assert.equal(shapes.size, SHAPE_NAMES.length, 'all shapes are exercised');
});

test('the scorer stays right on noisy, blurred and JPEG-compressed images', async () => {
  const noisy = images.map((img, i) => gaussianNoise(img, 25, i + 1));
  const blurred = await Promise.all(images.map((img) => viaSharp(img, (s) => s.blur(1.5).raw())));
  const jpeg = await Promise.all(images.map((img) => viaSharp(img, (s) => s.jpeg({ quality: 30 }))));
  const blurredNoisy = blurred.map((img, i) => gaussianNoise(img, 25, 1000 + i));
  // A young model's colours are often washed out: 35% of the way to mid grey.
  const washed = images.map((img) => ({
    ...img,
    data: img.data.map((v) => Math.round(v * 0.65 + 128 * 0.35)),
  }));
  for (const [name, set] of [
    ['noise σ=25', noisy],
    ['blur σ=1.5', blurred],
    ['jpeg q=30', jpeg],
    ['blur+noise', blurredNoisy],
    ['washed out', washed],
  ] as const) {
    const acc = accuracy(set);
    assert.ok(acc >= 0.95, `${name}: accuracy ${acc}`);
  }
});

test('mismatched prompts are refused, naming the part that is wrong', () => {
  images.forEach((img, i) => {
    const s = scenes[i]!;
    const otherColour = COLOUR_NAMES.find((c) => c !== s.colour && c !== s.background)!;
    const otherShape = SHAPE_NAMES[(SHAPE_NAMES.indexOf(s.shape) + 1 + (i % 3)) % SHAPE_NAMES.length]!;
    const wrongColour = scoreAdherence(img, caption({ ...s, colour: otherColour }));
    assert.equal(wrongColour.colorOk, false);
    assert.ok(wrongColour.score < 1);
    const wrongShape = scoreAdherence(img, caption({ ...s, shape: otherShape }));
    assert.deepEqual(
      [wrongShape.shapeOk, wrongShape.score < 1],
      [false, true],
      `${caption(s)} read as ${otherShape}`,
    );
    const wrongBackground = scoreAdherence(img, caption({ ...s, background: otherColour }));
    assert.equal(wrongBackground.backgroundOk, false);
    const swapped = scoreAdherence(img, caption({ ...s, colour: s.background, background: s.colour }));
    assert.deepEqual([swapped.colorOk, swapped.backgroundOk, swapped.score], [false, false, 1 / 3]);
  });
});

test('an image with no object, or an unreadable prompt, does not pass', () => {
  const blank = renderScene(
    { shape: 'circle', colour: 'red', background: 'blue', cx: -100, cy: -100, r: 5 },
    SIZE,
    SIZE,
  );
  const r = scoreAdherence({ width: SIZE, height: SIZE, data: blank }, 'a red circle on a blue background');
  assert.deepEqual([r.backgroundOk, r.colorOk, r.shapeOk, r.seen.shape], [true, false, false, undefined]);
  const noise = gaussianNoise(
    { width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE * 3).fill(128) },
    60,
    3,
  );
  assert.ok(scoreAdherence(noise, 'a red circle on a blue background').score < 1);
  const garbled = scoreAdherence(images[0]!, 'something else entirely');
  assert.deepEqual([garbled.score, garbled.expected], [0, undefined]);
});

test('prompts are parsed leniently', () => {
  assert.deepEqual(parsePrompt('A Red circle on a BLUE background.'), {
    colour: 'red',
    shape: 'circle',
    background: 'blue',
  });
  assert.deepEqual(parsePrompt('a photo of a green cross, on a white background'), {
    colour: 'green',
    shape: 'cross',
    background: 'white',
  });
  assert.equal(parsePrompt('a red circle'), undefined);
});

test("at tiny.yaml's 32×32 scenes the scorer stays right when clean, blurred or noisy, and refuses wrong shapes", async () => {
  const small = {
    count: 120,
    width: 32,
    height: 32,
    seed: 4,
    evalFraction: 0.2,
    size: 0.4,
    sizeJitter: 0.1,
    positionJitter: 0.05,
  };
  const vocabulary = {
    colours: ['red', 'green', 'blue', 'yellow', 'white'] as const,
    shapes: ['circle', 'square', 'triangle'] as const,
  };
  const { train, held } = holdOut(small.seed, small.evalFraction, vocabulary);
  const all = [...train, ...held];
  const cases: Scene[] = Array.from({ length: small.count }, (_, i) => sceneAt(i, all, small));
  const clean: ImageRgb[] = cases.map((s) => ({ width: 32, height: 32, data: renderScene(s, 32, 32) }));
  const blurred = await Promise.all(clean.map((img) => viaSharp(img, (s) => s.blur(1).raw())));
  const noisy = clean.map((img, i) => gaussianNoise(img, 20, 500 + i));
  const read = (set: readonly ImageRgb[]) =>
    set.filter((img, i) => scoreAdherence(img, caption(cases[i]!)).score === 1).length / set.length;
  assert.equal(read(clean), 1);
  assert.ok(read(blurred) >= 0.95, `blur σ=1: ${read(blurred)}`);
  assert.ok(read(noisy) >= 0.95, `noise σ=20: ${read(noisy)}`);
  clean.forEach((img, i) => {
    const s = cases[i]!;
    for (const shape of vocabulary.shapes) {
      if (shape !== s.shape) assert.equal(scoreAdherence(img, caption({ ...s, shape })).shapeOk, false);
    }
  });
});

test('a square whose sides bow inwards is a square (its corners are filled), a cross stays a cross', () => {
  const size = 32;
  const [cx, cy, r] = [16, 16, 12.8];
  const half = 0.85 * r;
  // A square of half-side 0.85 r whose sides are dented by `dent` × r at their middles (parabolic), as
  // generated squares often are, drawn with 4×4 supersampling.
  const pinched = (dent: number, colour: readonly number[], background: readonly number[]): ImageRgb => {
    const data = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let hits = 0;
        for (let s = 0; s < 16; s++) {
          const dx = x + ((s % 4) + 0.5) / 4 - cx;
          const dy = y + (Math.floor(s / 4) + 0.5) / 4 - cy;
          const inX = Math.abs(dx) <= half - dent * r * (1 - (dy / half) ** 2);
          const inY = Math.abs(dy) <= half - dent * r * (1 - (dx / half) ** 2);
          if (inX && inY && Math.abs(dx) <= half && Math.abs(dy) <= half) hits++;
        }
        for (let c = 0; c < 3; c++) {
          data[(y * size + x) * 3 + c] = Math.round(
            (background[c] ?? 0) * (1 - hits / 16) + (colour[c] ?? 0) * (hits / 16),
          );
        }
      }
    }
    return { width: size, height: size, data };
  };
  for (const dent of [0.05, 0.1, 0.15]) {
    const img = pinched(dent, [245, 245, 245], [40, 80, 220]);
    const a = scoreAdherence(img, 'a white square on a blue background');
    assert.equal(
      a.seen.shape,
      'square',
      `dent ${dent}: read ${a.reading}, solidity ${a.seen.features?.solidity}`,
    );
    assert.equal(a.score, 1);
  }
  // Clean and noisy crosses at tiny.yaml's size still read as crosses.
  const cross: Scene = { shape: 'cross', colour: 'white', background: 'blue', cx, cy, r };
  const clean: ImageRgb = { width: size, height: size, data: renderScene(cross, size, size) };
  assert.equal(scoreAdherence(clean, caption(cross)).seen.shape, 'cross');
  for (let seed = 0; seed < 5; seed++) {
    assert.equal(scoreAdherence(gaussianNoise(clean, 20, seed), caption(cross)).seen.shape, 'cross');
  }
});
