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
