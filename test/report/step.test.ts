import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, UpstreamNode } from '../../src/contract/step.js';
import { renderReport } from '../../src/html/index.js';
import { gatherReport, reportStep, type ReportWith } from '../../src/steps/report/index.js';
import { chromiumPath, probePage, screenshot } from './chromium.js';
import { HOSTILE_PROMPT, REPORT_SECTIONS as SECTIONS } from './fixture.js';
import { writeUpstream } from './files.js';
import { tempFolder } from '../temp.js';

/** The engine's record of the nodes upstream of the report, as ctx.upstream gives it. */
const UPSTREAM: Record<string, UpstreamNode> = {
  cache: {
    step: 'embeds.cache',
    durationMs: 3630,
    finishedAt: '2026-11-28T04:30:40.000Z',
    reused: true,
    summary: { items: 10, texts_encoded: 1, texts_reused: 12, latents_encoded: 0, latents_reused: 10 },
  },
  base: {
    step: 'train.expert',
    durationMs: 41_500,
    finishedAt: '2026-11-28T04:31:30.000Z',
    reused: false,
    summary: { role: 'base', steps: 80, steps_per_s: 1.93 },
  },
  evaluate: {
    step: 'evaluate',
    durationMs: 1280,
    finishedAt: '2026-11-28T04:32:00.000Z',
    reused: false,
    summary: { items: 2, unets_converted: 1, unets_reused: 1, embeddings_reused: 2, embeddings_encoded: 0 },
  },
};

function context(
  w: ReportWith,
  outDir: string,
  warnings: string[],
  upstream?: Record<string, UpstreamNode>,
): StepContext<ReportWith> {
  return {
    ...(upstream ? { upstream } : {}),
    nodeId: 'report',
    with: w,
    outDir,
    checkpointDir: outDir,
    sharedCacheDir: outDir,
    tmpDir: outDir,
    pipelineDir: outDir,
    attempt: 1,
    signal: new AbortController().signal,
    log: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    progress: () => undefined,
    env: {},
    gpus: [],
    resources: { cpu: 1, memoryBytes: undefined, gpu: 0 },
  };
}

/** A temporary folder (removed after the test) with every upstream file, and the report's `with` naming them. */
async function upstream(
  t: TestContext,
  prefix = 'moe-report-step-',
): Promise<{ root: string; w: ReportWith }> {
  const root = tempFolder(t, prefix);
  return { root, w: await writeUpstream(root) };
}

test('the report step turns upstream outputs into a page Chromium renders with every image loaded', async (t) => {
  const { root, w } = await upstream(t);
  const warnings: string[] = [];
  const result = await reportStep.run(context(w, root, warnings, UPSTREAM));
  assert.deepEqual(warnings, []);
  assert.equal(result?.summary?.['images'], 6);
  const file = join(root, 'report.html');
  const html = await readFile(file, 'utf8');
  assert.equal(
    html,
    (await reportStep.run(context(w, root, [], UPSTREAM)), await readFile(file, 'utf8')),
    'deterministic',
  );
  assert.match(html, /<td class="num best">0\.23<\/td>/, "the pair's full-range loss is marked best");
  assert.match(html, /41\.5 s/, 'training time is shown');
  if (chromiumPath() === undefined) {
    if (process.env['CI']) assert.fail('chromium is not installed; .ci/apt-packages lists it');
    t.skip('chromium is not installed');
    return;
  }
  const page = await probePage(file);
  assert.equal(page.images.length, 6);
  for (const img of page.images)
    assert.ok(img.complete && img.naturalWidth > 0, `image "${img.alt}" did not load`);
  assert.deepEqual(page.h1, ['tiny <pipeline>']);
  assert.deepEqual(page.h2, SECTIONS);
  assert.equal(page.svgs, 4, 'two loss charts, the evaluation bars and the loss per timestep');
  assert.deepEqual(page.requests, [], 'a self-contained page requests nothing');
  assert.ok(
    page.scrollWidth <= page.clientWidth,
    `the page scrolls sideways (${page.scrollWidth} > ${page.clientWidth})`,
  );
  // On a phone-sized window a wide table scrolls inside its section, not the whole page sideways.
  const narrow = await probePage(file, 480);
  assert.ok(
    narrow.scrollWidth <= narrow.clientWidth,
    `at 480 px the page scrolls sideways (${narrow.scrollWidth} > ${narrow.clientWidth})`,
  );
  assert.ok(page.bodyText.includes(HOSTILE_PROMPT), 'the hostile prompt is shown as text');
  const text = page.bodyText;
  const timings = text.slice(
    text.lastIndexOf('Timings and cache reuse\n'),
    text.lastIndexOf('Written by moe'),
  );
  assert.ok(timings.length > 0, 'the timings section is on the page');
  for (const node of Object.keys(UPSTREAM))
    assert.match(timings, new RegExp(`^${node}\\b`, 'm'), `the timings table has no row for ${node}`);
  for (const expected of ['train.expert', '41.5 s', 'reused', 'ran', 'total', '12 reused, 1 encoded'])
    assert.ok(timings.includes(expected), `the timings section lacks "${expected}":\n${timings}`);
  const shot = process.env['MOE_REPORT_SCREENSHOT'];
  if (shot) await screenshot(file, shot);
});

test('missing files and image paths that leave the compose folder become notes, not failures', async (t) => {
  const { root, w } = await upstream(t);
  const index = JSON.parse(await readFile(w.samples!, 'utf8')) as { images: Record<string, unknown>[] };
  index.images[0]!['file'] = '../../../etc/passwd';
  index.images[3]!['file'] = 'base/missing.png';
  await writeFile(w.samples!, JSON.stringify(index));
  const data = await gatherReport({ ...w, evaluation: join(root, 'nope.json') });
  assert.equal(data.evaluation, undefined);
  assert.equal(data.samples?.rows[0]?.cells[1]?.image, null);
  assert.equal(data.samples?.rows[1]?.cells[0]?.image, null);
  assert.ok(data.samples?.rows[2]?.cells.every((c) => c.image !== null));
  assert.equal(data.notes.length, 3, data.notes.join('\n'));
  assert.match(data.notes.join('\n'), /nope\.json.*ENOENT/);
  assert.match(data.notes.join('\n'), /outside the data set folder/);
  assert.match(data.notes.join('\n'), /missing\.png/);
});

test('the experts settings sit side by side, with the pair-wide ones checked for agreement', async (t) => {
  const data = await gatherReport((await upstream(t)).w);
  const experts = data.settings.find((s) => s.title === 'Experts')!;
  assert.deepEqual(experts.columns, ['base', 'refiner']);
  const row = (k: string) => experts.rows.find((r) => r.key === k)?.values;
  assert.deepEqual(row('timestep_range'), ['350–999', '0–349']);
  assert.deepEqual(row('prediction_type'), ['v_prediction', 'v_prediction']);
  assert.equal(row('elapsed_s'), undefined, 'timings are not settings');
  assert.deepEqual(
    data.timings.map((t) => t.label),
    ['train base', 'train refiner'],
  );
  assert.deepEqual(data.evaluation?.curves?.timesteps, [999, 500, 100]);
  assert.equal(data.evaluation?.curves?.cutoff, 350);
  assert.deepEqual(
    data.evaluation?.curves?.series.map((s) => s.label),
    ['base alone', 'refiner alone', 'base → refiner'],
  );
  assert.deepEqual(
    data.evaluation?.bands.map((b) => [b.label, b.range]),
    [
      ['base range', [350, 999]],
      ['refiner range', [0, 349]],
      ['full range', [0, 999]],
    ],
  );
  assert.deepEqual(
    data.samples?.rows[0]?.cells.map((c) => [c.note, c.verdict]),
    [
      ['✗ 2 of 3 checks', false],
      ['✓ follows the prompt', true],
    ],
  );
  assert.deepEqual(
    data.evaluation?.rows.map((r) => r.label),
    ['base alone', 'refiner alone', 'base → refiner'],
  );
  assert.deepEqual(
    data.adherence?.summaries.map((s) => [s.label, s.score]),
    [
      ['base only', 0.5],
      ['base → refiner', 11 / 12],
    ],
  );
});

test("flow-matching experts' settings leave out the diffusion schedule's, which do not apply to them", async (t) => {
  const { w } = await upstream(t);
  for (const files of Object.values(w.experts ?? {})) {
    const path = files.config ?? '';
    const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    // As the built-in trainer records a flow-matching expert.
    Object.assign(config, {
      objective: 'flow_matching',
      boundary: 0.875,
      shift: 3,
      prediction_type: 'flow_prediction',
      zero_snr: null,
    });
    await writeFile(path, JSON.stringify(config));
  }
  const experts = (await gatherReport(w)).settings.find((s) => s.title === 'Experts')!;
  const keys = experts.rows.map((r) => r.key);
  for (const k of ['objective', 'boundary', 'shift', 'prediction_type', 'timestep_range'])
    assert.ok(keys.includes(k), k);
  for (const k of ['timestep_spacing', 'noise_schedule', 'zero_snr'])
    assert.ok(!keys.includes(k), `${k} is shown for flow-matching experts`);
});

test('timings and cache reuse come from the engine record of the upstream nodes', async (t) => {
  const { w } = await upstream(t);
  const data = await gatherReport(w, UPSTREAM);
  assert.deepEqual(
    data.timings.map((t) => [t.label, t.step, t.seconds, t.reused]),
    [
      ['cache', 'embeds.cache', 3.63, true],
      ['base', 'train.expert', 41.5, false],
      ['evaluate', 'evaluate', 1.28, false],
    ],
    'every upstream node, in the order its result was committed',
  );
  assert.equal(data.timings[1]?.detail, '80 steps, 1.93 steps/s');
  assert.deepEqual(
    data.caches.map((c) => [c.node, c.key, c.reused, c.encoded, c.verb, c.recordedAt]),
    [
      ['cache', 'texts', 12, 1, 'encoded', '2026-11-28T04:30:40.000Z'],
      ['cache', 'latents', 10, 0, 'encoded', '2026-11-28T04:30:40.000Z'],
      ['evaluate', 'unets', 1, 1, 'converted', undefined],
      ['evaluate', 'embeddings', 2, 0, 'encoded', undefined],
    ],
  );
  const html = renderReport(data);
  assert.match(html, /22 of 23 text embeddings and latents reused/);
  assert.match(html, /3 nodes: 2 ran, 1 reused/);
  assert.match(html, /a report reused from the cache shows the timings of the run that wrote it/);
  assert.match(html, /2026-11-28 04:32:00 UTC/);
  // Without the engine's record (a report gathered outside a run), the files' own timings are used.
  const alone = await gatherReport(w);
  assert.deepEqual(
    alone.timings.map((t) => [t.label, t.reused]),
    [
      ['train base', undefined],
      ['train refiner', undefined],
    ],
  );
});

test('prompt adherence is strict, with the rate of each check and the mean beside it', async (t) => {
  const data = await gatherReport((await upstream(t)).w);
  assert.deepEqual(
    data.adherence?.checks?.map((c) => c.label),
    ['shape', 'shape colour', 'background colour'],
  );
  const pair = data.adherence?.summaries.find((s) => s.tone === 'pair');
  assert.deepEqual(
    [pair?.score, pair?.passed, pair?.total, pair?.mean, pair?.checks],
    [11 / 12, 11, 12, 0.95, { color: 1, shape: 11 / 12, background: 1 }],
  );
  const cell = data.samples?.rows[0]?.cells[0];
  assert.deepEqual(cell?.checks, [
    { label: 'shape', held: true },
    { label: 'colour', held: false },
    { label: 'background', held: true },
  ]);
  assert.equal(cell?.note, '✗ 2 of 3 checks');
  assert.equal(cell?.seen, 'a grey circle on blue');
  const html = renderReport(data);
  assert.match(html, /<strong>92%<\/strong><div class="muted">11 of 12<\/div>/);
  assert.match(html, /11 of 12 images pass every check; mean score 0\.95/);
});

test('a scorer that gives no labels or reading: the report shows its check keys and readings as they are', async (t) => {
  const { root, w } = await upstream(t);
  const path = join(root, 'evaluate', 'results.json');
  const results = JSON.parse(await readFile(path, 'utf8')) as {
    adherence: { check_labels?: unknown; images: { reading?: string }[] };
  };
  delete results.adherence.check_labels;
  for (const i of results.adherence.images) delete i.reading;
  await writeFile(path, JSON.stringify(results));
  const data = await gatherReport(w);
  assert.deepEqual(
    data.adherence?.checks?.map((c) => c.label),
    ['color', 'shape', 'background'],
    "the scorer's own order and keys",
  );
  const cell = data.samples?.rows[0]?.cells[0];
  assert.deepEqual(
    cell?.checks?.map((c) => c.label),
    ['color', 'shape', 'background'],
  );
  assert.equal(cell?.seen, 'background blue, colour grey, shape circle');
});

test("SimpleTuner's validation images of an expert (its `validation` output) get their own section", async (t) => {
  const { root, w } = await upstream(t, 'moe-report-val-');
  const { mkdir } = await import('node:fs/promises');
  const sharp = (await import('sharp')).default;
  const dir = join(root, 'refiner-validation');
  await mkdir(dir);
  for (const step of [100, 200]) {
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 10 } } })
      .png()
      .toFile(join(dir, `step_${step}_lighthouse.png`));
  }
  const data = await gatherReport({
    ...w,
    experts: { ...w.experts, refiner: { ...w.experts?.['refiner'], validation: dir } },
  });
  assert.deepEqual(
    data.validation?.map((v) => [v.expert, v.images.map((i) => i.name)]),
    [['refiner', ['step_100_lighthouse.png', 'step_200_lighthouse.png']]],
  );
  const html = renderReport(data);
  assert.match(html, /Trainer&#39;s validation images|Trainer's validation images/);
  assert.match(html, /alt="step_200_lighthouse\.png"/);
  assert.equal((html.match(/data:image\/png;base64/g) ?? []).length >= 2, true);
  const none = await gatherReport(w);
  assert.equal(none.validation, undefined, 'no validation output: no section');
});

test("SimpleTuner's validation losses in training.json become a table by step, not a setting", async (t) => {
  const { root, w } = await upstream(t, 'moe-report-vloss-');
  const config = join(root, 'refiner', 'training.json');
  const training = JSON.parse(await readFile(config, 'utf8')) as Record<string, unknown>;
  await writeFile(
    config,
    JSON.stringify({
      ...training,
      validation_losses: [
        { step: 500, dataset: 'held-out', loss: 0.41 },
        { step: 1000, dataset: 'held-out', loss: 0.3625 },
      ],
    }),
  );
  const data = await gatherReport(w);
  assert.deepEqual(
    data.validation?.map((v) => [v.expert, v.images.length, v.losses]),
    [
      [
        'refiner',
        0,
        [
          { step: 500, loss: 0.41 },
          { step: 1000, loss: 0.3625 },
        ],
      ],
    ],
  );
  const html = renderReport(data);
  assert.match(html, /Trainer&#39;s validation<|Trainer's validation</);
  const table = /<table class="data validation-loss">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
  assert.match(table, /<th scope="row">1000<\/th><td class="num">0\.3625<\/td>/);
  assert.ok(
    !data.settings.some((t) => t.rows.some((r) => r.key === 'validation_losses')),
    'not shown as a setting',
  );
});
