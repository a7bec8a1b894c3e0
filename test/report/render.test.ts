import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from '../../src/html/index.js';
import { REPORT_SECTIONS as SECTIONS, reportData } from './fixture.js';

test('the same data renders to the same bytes, with every section and no external reference', async () => {
  const data = await reportData();
  const html = renderReport(data);
  assert.equal(renderReport(await reportData()), html);
  for (const s of SECTIONS) assert.match(html, new RegExp(`<h2 id="[a-z-]+-h">${s}</h2>`));
  assert.doesNotMatch(html, /\b(?:src|href)="(?!data:|#)/, 'every src/href is a data: URI or a fragment');
  assert.doesNotMatch(html, /<script/i, 'the page needs no JavaScript');
  assert.equal((html.match(/<img /g) ?? []).length, 6);
  assert.equal((html.match(/<svg /g) ?? []).length, 3, 'two loss charts and the evaluation chart');
});

test('text from the data is escaped: a hostile prompt shows as text', async () => {
  const html = renderReport(await reportData());
  assert.doesNotMatch(html, /<script>alert/);
  assert.doesNotMatch(html, /<img src=x/);
  assert.match(html, /a red circle &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &lt;img/);
  assert.match(html, /<title>tiny: base \+ refiner &lt;experts&gt;<\/title>/);
});

test('sections without data are left out, and so are their contents entries', async () => {
  const full = await reportData();
  const html = renderReport({
    ...full,
    samples: undefined,
    adherence: undefined,
    timings: [],
    caches: [],
  } as never);
  assert.doesNotMatch(html, /id="samples"|href="#samples"|id="adherence"|id="timings"/);
  assert.match(html, /id="loss"/);
});

test('a disagreement between experts on a setting that must agree is flagged', async () => {
  const data = await reportData();
  const table = data.settings[0]!;
  const rows = table.rows.map((r) => (r.key === 'zero_snr' ? { key: r.key, values: [true, false] } : r));
  const html = renderReport({ ...data, settings: [{ ...table, rows }] });
  assert.equal((html.match(/class="flag"/g) ?? []).length, 1);
  assert.match(html, /<code>zero_snr<\/code> <span class="flag"/);
});

test("a loss chart's caption gives the trainer's final_loss (β = 0.98, debiased), the value moe compare shows", async () => {
  const { lossSection } = await import('../../src/html/sections.js');
  // 300 steps of a falling loss: a shorter smoothing would give a lower last value than the trainer's.
  const points = Array.from({ length: 300 }, (_, i) => ({ step: i + 1, loss: 1 / (1 + i / 30) }));
  let s = 0;
  let w = 0;
  for (const p of points) {
    s = 0.98 * s + 0.02 * p.loss;
    w = 0.98 * w + 0.02;
  }
  const body = lossSection([{ name: 'base', tone: 'base', points }])?.body ?? '';
  const shown = /final smoothed loss ([0-9.]+)/.exec(body)?.[1];
  assert.equal(shown, String(Number((s / w).toPrecision(4))), body.slice(0, 400));
});

test("a flow-matching evaluation's bands and timestep axis read as evaluate defines them", async () => {
  const { evaluationSection } = await import('../../src/html/sections.js');
  // evaluate's results.json for boundary 0.875: the refiner's band is [0, 875), written as 874.999999999,
  // and the evaluated timesteps are 1000·(k + ½)/n, so the largest is 937.5, not the pure-noise end.
  const timesteps = [62.5, 187.5, 312.5, 437.5, 562.5, 687.5, 812.5, 937.5];
  const body =
    evaluationSection({
      metric: 'evaluation loss (MSE)',
      bands: [
        { key: 'base_band', label: 'base range', range: [875, 1000] },
        { key: 'refiner_band', label: 'refiner range', range: [0, 874.999999999] },
        { key: 'full', label: 'full range', range: [0, 1000] },
      ],
      rows: [
        { label: 'base → refiner', tone: 'pair', values: { base_band: 1.1, refiner_band: 1.2, full: 1.2 } },
      ],
      curves: {
        timesteps,
        series: [{ label: 'base → refiner', tone: 'pair', values: timesteps.map(() => 1) }],
        cutoff: 875,
      },
      extra: [],
    })?.body ?? '';
  assert.doesNotMatch(body, /874\.99/);
  assert.match(body, /t 0–875</);
  assert.match(body, /timestep \(0 = clean, 1000 = pure noise\)/);
});
