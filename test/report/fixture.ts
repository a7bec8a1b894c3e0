// Report fixtures written by the tests: small scenes drawn into PNGs with the shared image helpers, loss
// curves that fall the way training losses do, and evaluation numbers with the pair in front.
import { encodePng } from '../../src/imaging/index.js';
import type { RgbImage } from '../../src/imaging/index.js';
import type { Evaluation, LossPoint, ReportData, SampleRow } from '../../src/html/index.js';

type Rgb = readonly [number, number, number];

/** A disc or square of `fg` on `bg`, `size`² pixels; `noise` sprinkles grey pixels (an unrefined sample). */
export function scene(size: number, shape: 'circle' | 'square', fg: Rgb, bg: Rgb, noise = 0): RgbImage {
  const data = new Uint8Array(size * size * 3);
  const c = size / 2;
  const r = size * 0.3;
  let seed = 12345;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside =
        shape === 'circle'
          ? (x - c) ** 2 + (y - c) ** 2 <= r * r
          : Math.abs(x - c) <= r && Math.abs(y - c) <= r;
      let px: Rgb = inside ? fg : bg;
      seed = (seed * 1103515245 + 12345) >>> 0;
      if (noise > 0 && seed / 2 ** 32 < noise) px = [128, 128, 128];
      data.set(px, (y * size + x) * 3);
    }
  }
  return { width: size, height: size, data };
}

export function lossCurve(steps: number, start: number, end: number): LossPoint[] {
  const pts: LossPoint[] = [];
  for (let s = 1; s <= steps; s++) {
    const wobble = 0.15 * Math.sin(s * 1.7) * Math.exp(-s / steps);
    pts.push({ step: s, loss: end + (start - end) * Math.exp((-4 * s) / steps) + wobble * (start - end) });
  }
  return pts;
}

/** A prompt that tries to break out of the page: it must show up as text, never as markup. */
/** The report page's sections (its h2 headings), in order. */
export const REPORT_SECTIONS = [
  'Training loss',
  'Evaluation by timestep band',
  'Prompt adherence',
  'Samples',
  'Configuration',
  'Timings and cache reuse',
];

export const HOSTILE_PROMPT =
  'a red circle <script>alert("x")</script> & <img src=x onerror=alert(1)> on blue';

const RED: Rgb = [220, 40, 40];
const BLUE: Rgb = [40, 70, 200];
const GREEN: Rgb = [40, 170, 80];
const YELLOW: Rgb = [240, 200, 40];

/** The sample grid's rows: each held-out prompt, noisy (base only) beside clean (base → refiner). */
async function sampleRows(): Promise<SampleRow[]> {
  const png = async (img: RgbImage) => ({
    mime: 'image/png' as const,
    bytes: await encodePng(img),
    width: img.width,
    height: img.height,
  });
  const prompts: [string, 'circle' | 'square', Rgb, Rgb][] = [
    [HOSTILE_PROMPT, 'circle', RED, BLUE],
    ['a green square on a yellow background', 'square', GREEN, YELLOW],
    ['a blue circle on a green background', 'circle', BLUE, GREEN],
  ];
  const rows = [];
  for (const [prompt, shape, fg, bg] of prompts) {
    rows.push({
      prompt,
      seed: 7,
      cells: [
        { image: await png(scene(32, shape, fg, bg, 0.25)), note: '✗ colour', verdict: false },
        { image: await png(scene(32, shape, fg, bg)), note: `✓ ${shape}`, verdict: true },
      ],
    });
  }
  return rows;
}

/** Evaluation losses by band with the pair in front. */
const EVALUATION: Evaluation = {
  metric: 'evaluation loss (MSE)',
  bands: [
    { key: 'base', label: 'base range', range: [350, 999] },
    { key: 'refiner', label: 'refiner range', range: [0, 349] },
    { key: 'full', label: 'full range', range: [0, 999] },
  ],
  rows: [
    { label: 'base alone', tone: 'base', values: { base: 0.31, refiner: 0.2, full: 0.27 } },
    { label: 'refiner alone', tone: 'refiner', values: { base: 0.52, refiner: 0.11, full: 0.38 } },
    { label: 'base → refiner', tone: 'pair', values: { base: 0.31, refiner: 0.11, full: 0.24 } },
  ],
  extra: [{ label: 'CLIP score', value: 27.4 }],
};

export async function reportData(): Promise<ReportData> {
  const rows = await sampleRows();
  return {
    title: 'tiny: base + refiner <experts>',
    subtitle: 'pipeline tiny · strength 0.35',
    experts: [
      { name: 'base', tone: 'base', points: lossCurve(120, 0.9, 0.35), timestepRange: [350, 999] },
      { name: 'refiner', tone: 'refiner', points: lossCurve(120, 0.5, 0.12), timestepRange: [0, 349] },
    ],
    evaluation: EVALUATION,
    adherence: {
      description: 'Held-out prompts, scored by the synthetic-shapes plugin (colour and shape).',
      summaries: [
        { label: 'base only', tone: 'base', score: 0.58, passed: 7, total: 12 },
        { label: 'base → refiner', tone: 'pair', score: 0.92, passed: 11, total: 12 },
      ],
    },
    samples: {
      columns: [
        { label: 'base only', tone: 'base' },
        { label: 'base → refiner', tone: 'pair' },
      ],
      rows,
    },
    settings: [
      {
        title: 'Experts',
        columns: ['base', 'refiner'],
        rows: [
          { key: 'strength', values: [0.35, 0.35] },
          { key: 'prediction_type', values: ['v_prediction', 'v_prediction'] },
          { key: 'zero_snr', values: [true, true] },
          { key: 'learning_rate', values: [4e-7, 4e-7] },
          { key: 'timestep_range', values: ['350–999', '0–349'] },
        ],
        mustAgree: ['strength', 'prediction_type', 'zero_snr'],
      },
    ],
    timings: [
      { label: 'train base', seconds: 61.2, detail: '120 steps, 1.96 steps/s' },
      { label: 'train refiner', seconds: 58.9 },
      { label: 'compose', seconds: 7.5 },
    ],
    caches: [{ label: 'embeds.cache', encoded: 12, reused: 228 }],
    notes: [],
  };
}
