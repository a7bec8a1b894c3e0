import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepContext } from '../../src/steps/api.js';
import { gatherReport, reportStep, type ReportWith } from '../../src/steps/report/index.js';
import { chromiumPath, probePage, screenshot } from './chromium.js';
import { HOSTILE_PROMPT } from './fixture.js';
import { writeUpstream } from './files.js';

const SECTIONS = [
  'Training loss',
  'Evaluation by timestep band',
  'Prompt adherence',
  'Samples',
  'Configuration',
  'Timings and cache reuse',
];

function context(w: ReportWith, outDir: string, warnings: string[]): StepContext<ReportWith> {
  return {
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

test('the report step turns upstream outputs into a page Chromium renders with every image loaded', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'moe-report-step-'));
  try {
    const w = await writeUpstream(root);
    const warnings: string[] = [];
    const result = await reportStep.run(context(w, root, warnings));
    assert.deepEqual(warnings, []);
    assert.equal(result?.summary?.['images'], 6);
    const file = join(root, 'report.html');
    const html = await readFile(file, 'utf8');
    assert.equal(
      html,
      (await reportStep.run(context(w, root, [])), await readFile(file, 'utf8')),
      'deterministic',
    );
    assert.match(html, /<td class="num best">0\.23<\/td>/, "the pair's full-range loss is marked best");
    assert.match(html, /resumed|41\.5|41\.50 s/, 'training time is shown');
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
    assert.ok(page.bodyText.includes(HOSTILE_PROMPT), 'the hostile prompt is shown as text');
    const shot = process.env['MOE_REPORT_SCREENSHOT'];
    if (shot) await screenshot(file, shot);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('missing files and image paths that leave the compose folder become notes, not failures', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moe-report-step-'));
  try {
    const w = await writeUpstream(root);
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
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the experts settings sit side by side, with the pair-wide ones checked for agreement', async () => {
  const root = await mkdtemp(join(tmpdir(), 'moe-report-step-'));
  try {
    const data = await gatherReport(await writeUpstream(root));
    const experts = data.settings.find((s) => s.title === 'Experts')!;
    assert.deepEqual(experts.columns, ['base', 'refiner']);
    const row = (k: string) => experts.rows.find((r) => r.key === k)?.values;
    assert.deepEqual(row('timestep_range'), ['350–999', '0–349']);
    assert.deepEqual(row('prediction_type'), ['v_prediction', 'v_prediction']);
    assert.equal(row('elapsed_s'), undefined, 'timings are not settings');
    assert.deepEqual(
      data.timings.map((t) => t.label),
      ['train base', 'train refiner', 'evaluate'],
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
        ['✗ score 0.50', false],
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
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
