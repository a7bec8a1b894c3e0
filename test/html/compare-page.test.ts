// The page `moe compare --html` writes, rendered from data: what a reader sees on its charts' axes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComparedVariant } from '../../src/app/compare.js';
import { chart, renderComparePage } from '../../src/html/compare.js';

/** The texts of an SVG chart, in order. */
const texts = (svg: string): string[] =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');

test('chart ticks read as plain numbers: 0.45 and 1.5, not 0.4500 and 1.500', () => {
  const svg = chart({
    title: 'loss against strength',
    param: 'strength',
    series: [
      { name: 'loss', points: [0.25, 0.35, 0.5].map((x, i) => ({ x, y: [0.42, 0.39, 0.58][i] ?? 0 })) },
    ],
  });
  const ticks = texts(svg);
  assert.ok(ticks.includes('0.45'), ticks.join(' | '));
  assert.ok(!ticks.some((t) => /\.\d*0$/.test(t)), `no trailing zeros: ${ticks.join(' | ')}`);
  const wide = chart({
    title: 'steps per second',
    param: 'strength',
    series: [
      {
        name: 's',
        points: [
          { x: 0.25, y: 1 },
          { x: 0.5, y: 3 },
        ],
      },
    ],
  });
  assert.ok(texts(wide).includes('1.5'), texts(wide).join(' | '));
  const negative = chart({
    title: 'n',
    param: 'strength',
    series: [
      {
        name: 'n',
        points: [
          { x: 0.25, y: 0 },
          { x: 0.5, y: 0 },
        ],
      },
    ],
  });
  assert.ok(!texts(negative).some((t) => t.endsWith('0000')), texts(negative).join(' | '));
});

test('a sweep of strings has no chart: the page leaves the charts section out instead of an empty card', () => {
  const page = renderComparePage({
    title: 'tags',
    axes: ['tag'],
    objective: { metric: 'score.loss', goal: 'min' },
    best: 0,
    variants: ['a', 'b'].map((tag, i) => ({
      label: `tag=${tag}`,
      params: { tag },
      metrics: { 'score.loss': i },
    })),
    metrics: [],
    charts: [],
    samples: [],
  });
  assert.doesNotMatch(page, /Metrics against the swept values/);
  assert.match(page, /<h2>Variants<\/h2>/);
});

test('a variant that has not finished is named on the page, as in the text table, not left as a row of dashes', () => {
  const page = renderComparePage({
    title: 'sw',
    axes: ['strength'],
    objective: { metric: 'evaluate.loss', goal: 'min' },
    best: 0,
    variants: [
      { label: 'strength=0.5', params: { strength: 0.5 }, metrics: { 'evaluate.loss': 0.3 } },
      {
        label: 'strength=0.45',
        params: { strength: 0.45 },
        metrics: {},
        missing: ['evaluate[strength=0.45]'],
      },
    ],
    metrics: [],
    charts: [],
    samples: [],
  });
  assert.match(
    page,
    /strength=0\.45 has not finished \(evaluate\[strength=0\.45\]\); run the sweep again to finish it/,
  );
});

test('--html into a folder that does not exist says so and what to do, without the temporary file name', async () => {
  const { writeComparePage } = await import('../../src/app/compare-page.js');
  const dir = mkdtempSync(join(tmpdir(), 'moe-compare-page-'));
  try {
    const target = join(dir, 'missing', 'sweep.html');
    const got = await writeComparePage(
      {
        pipeline: 'sw',
        file: join(dir, 'p.yaml'),
        axes: ['x'],
        variants: [],
        objective: null,
        best: null,
        shared: [],
      },
      target,
    );
    assert.equal(got.ok, false);
    assert.equal(
      got.ok ? '' : got.error,
      `cannot write ${target}: the folder ${join(dir, 'missing')} does not exist; create it, or give a path in an existing folder`,
    );
    assert.deepEqual(readdirSync(dir), [], 'nothing is left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the page says what it is in its title, and the variants and swept values once, under it', async () => {
  const { writeComparePage } = await import('../../src/app/compare-page.js');
  const dir = mkdtempSync(join(tmpdir(), 'moe-compare-page-'));
  try {
    const target = join(dir, 'sweep.html');
    const variant = (x: number): ComparedVariant => ({
      params: { x },
      metrics: {},
      outputs: {},
      label: `x=${x}`,
      missing: [],
    });
    const c = {
      pipeline: 'sw',
      file: join(dir, 'p.yaml'),
      axes: ['x'],
      objective: null,
      best: null,
      shared: [],
    };
    const got = await writeComparePage({ ...c, variants: [variant(1), variant(2)] }, target);
    assert.equal(got.ok, true);
    const page = readFileSync(target, 'utf8');
    assert.match(page, /<title>sw: sweep comparison<\/title>/);
    assert.match(page, /<h1>sw: sweep comparison<\/h1><p class="subtitle">2 variants of x<\/p>/);
    assert.equal(page.match(/2 variants of x/g)?.length, 1, 'the subtitle does not repeat the title');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the winner's label stays readable where the curves cross it: it is drawn over them with a halo", () => {
  // The winner at the top of the chart: its label sits where the curves start (they were drawn through it).
  const svg = chart({
    title: 'acc against lr',
    param: 'lr',
    series: [
      {
        name: 'acc',
        points: [
          { x: 0.001, y: 1 },
          { x: 0.01, y: 0.92 },
        ],
      },
    ],
    mark: { x: 0.001, label: 'best (0.001)' },
  });
  const label = /<text[^>]*>best \(0\.001\)<\/text>/.exec(svg)?.[0] ?? '';
  assert.match(label, /paint-order="stroke"/, label);
  assert.match(label, /stroke="var\(--paper\)"/, label);
  assert.ok(svg.lastIndexOf('best (0.001)') > svg.lastIndexOf('class="series"'), 'drawn after the curves');
});

test('the charts and samples sections say what they show: which image of each variant, and what the dashed line marks', () => {
  const page = renderComparePage({
    title: 'sw',
    axes: ['strength'],
    objective: { metric: 'evaluate.loss.composed.full', goal: 'min' },
    best: 0,
    variants: [0.5, 0.25].map((strength, i) => ({
      label: `strength=${strength}`,
      params: { strength },
      metrics: { 'evaluate.loss.composed.full': 0.3 + i / 10 },
    })),
    metrics: [],
    charts: [
      {
        title: 'loss against strength',
        param: 'strength',
        series: [
          {
            name: 'loss',
            points: [
              { x: 0.25, y: 0.4 },
              { x: 0.5, y: 0.3 },
            ],
          },
        ],
        mark: { x: 0.5, label: 'best hand-off (0.5)' },
      },
    ],
    samples: [
      {
        prompt: 'a red circle',
        seed: 0,
        cells: [{ variant: 'strength=0.5', src: 'data:image/png;base64,AA==' }],
      },
    ],
  });
  const lede = (id: string): string =>
    new RegExp(`<section id="${id}"><h2>[^<]*</h2><p class="lede">(.*?)</p>`).exec(page)?.[1] ?? '';
  assert.match(lede('samples'), /composed image/, 'the samples are the composed images, not the base alone');
  assert.match(
    lede('charts'),
    /dashed line marks the best variant by <code>evaluate\.loss\.composed\.full<\/code>/,
  );
});
