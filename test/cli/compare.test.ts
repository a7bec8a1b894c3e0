// `moe compare`: the last sweep's variants ranked by the objective (table, --json of the documented
// shape, and a self-contained --html page checked in headless Chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PageProbe } from '../report/chromium.js';
import { chromiumPath, probePage } from '../report/chromium.js';
import { moe, tempDir, writePipeline } from './helpers.js';

// A 1×1 red PNG, written by the sampler stand-in as each variant's image.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

// The evaluation stand-in reports the losses a strength sweep compares; composed is best at 0.35.
const PIPELINE = `version: 1
name: cmp
params:
  strength: 0.35
objective: { node: evaluate, metric: loss.composed.full, goal: min }
sweep:
  strength: [0.25, 0.35, 0.5]
nodes:
  data:
    step: command
    with:
      run: echo data > "$MOE_OUT/d.txt"
      outputs: { d: d.txt }
  compose:
    step: command
    with:
      run: |
        mkdir -p "$MOE_OUT/images"
        echo '${PNG}' | base64 -d > "$MOE_OUT/images/0.png"
        echo '{"images": [{"prompt": "a red circle", "seed": 0, "stage": "composed", "file": "0.png"}]}' > "$MOE_OUT/index.json"
        echo ${'${{ params.strength }}'} > "$MOE_OUT/s.txt"
      outputs: { images: images, index: index.json }
  evaluate:
    step: command
    with:
      run: |
        cat ${'${{ nodes.data.outputs.d }}'} ${'${{ nodes.compose.outputs.index }}'} > "$MOE_OUT/r.txt"
        awk -v s=${'${{ params.strength }}'} 'BEGIN { printf "{\\"loss.composed.full\\": %.4f, \\"loss.base.full\\": %.4f, \\"loss.refiner.full\\": %.4f}", 0.1 + (s - 0.35) ^ 2, 0.2 + s, 0.5 - s }' > "$MOE_METRICS"
      outputs: { results: r.txt }
  report:
    step: command
    with:
      run: cat ${'${{ nodes.evaluate.outputs.results }}'} > "$MOE_OUT/report.html"
      outputs: { html: report.html }
`;

test('moe compare ranks the last sweep by the objective: table, --json and a page in Chromium', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  writePipeline(dir, PIPELINE);
  const none = moe(['compare', 'p.yaml', '--sweep', 'strength=0.3'], dir);
  assert.match(none.stdout, /strength=0.3: not finished/);

  const run = moe(['run', 'p.yaml'], dir);
  assert.equal(run.code, 0, run.stdout + run.stderr);

  const table = moe(['compare', 'p.yaml'], dir);
  assert.equal(table.code, 0, table.stderr);
  const rows = table.stdout.split('\n');
  assert.match(rows[2] ?? '', /^★\s+0\.35\s+0\.1000?\s/, 'the best variant first, marked');
  assert.match(table.stdout, /^best: strength=0\.35 \(evaluate\.loss\.composed\.full 0\.1000?\)$/m);

  const json = JSON.parse(moe(['compare', 'p.yaml', '--json'], dir).stdout) as {
    variants: {
      params: Record<string, number>;
      metrics: Record<string, number>;
      outputs: Record<string, string>;
    }[];
    objective: unknown;
    best: number;
  };
  assert.deepEqual(Object.keys(json), ['variants', 'objective', 'best']);
  assert.deepEqual(json.objective, { node: 'evaluate', metric: 'loss.composed.full', goal: 'min' });
  assert.deepEqual(
    json.variants.map((v) => v.params['strength']),
    [0.35, 0.25, 0.5],
  );
  assert.equal(json.best, 0);
  assert.deepEqual(Object.keys(json.variants[0] ?? {}), ['params', 'state', 'metrics', 'outputs']);
  assert.equal(json.variants[1]?.metrics['evaluate.loss.composed.full'], 0.11);
  const report = json.variants[0]?.outputs['report.html'] ?? '';
  assert.ok(existsSync(report), `the variant's report is in the store: ${report}`);

  const page = join(dir, 'sweep.html');
  const html = moe(['compare', 'p.yaml', '--html', page], dir);
  assert.equal(html.code, 0, html.stderr);
  assert.ok(existsSync(page));
  if (chromiumPath() === undefined) {
    t.diagnostic('chromium is not installed: the page was written but not opened');
    return;
  }
  const seen = await probePage(page);
  assert.deepEqual(seen.requests, [], 'the page is self-contained');
  assert.match(
    seen.bodyText,
    /Best: strength=0\.35 by loss\.composed\.full|Best: strength=0\.35 by evaluate\.loss\.composed\.full/,
  );
  // The losses together against strength, then one chart per metric.
  assert.equal(seen.svgs, 4);
  assert.match(seen.bodyText, /the composed pair and each expert alone/);
  assert.match(seen.bodyText, /best hand-off \(0\.35\)/);
  assert.equal(seen.images.length, 3, 'the same prompt and seed in each of the three variants');
  for (const img of seen.images) assert.ok(img.complete && img.naturalWidth === 1, img.alt);
  assert.ok(seen.h2.includes('The same prompt and seed in every variant'));
  assertTextsInside(seen);

  // The winner at the largest swept value: its label must turn left of the line, not leave the chart.
  const edge = moe(['run', 'p.yaml', '--sweep', 'strength=0.25,0.3,0.35'], dir);
  assert.equal(edge.code, 0, edge.stdout + edge.stderr);
  const edgePage = join(dir, 'edge.html');
  assert.equal(moe(['compare', 'p.yaml', '--html', edgePage], dir).code, 0);
  const atEdge = await probePage(edgePage);
  const labels = atEdge.svgTexts.filter((t) => t.text === 'best hand-off (0.35)');
  assert.ok(labels.length > 0, 'the best hand-off is labelled');
  assertTextsInside(atEdge);
});

/** Every text of every chart lies inside its SVG's viewBox (nothing clipped at an edge). */
function assertTextsInside(seen: PageProbe): void {
  assert.ok(seen.svgTexts.length > 0);
  for (const { text, box, viewBox: v } of seen.svgTexts) {
    const inside =
      box.x >= v.x &&
      box.y >= v.y &&
      box.x + box.width <= v.x + v.width &&
      box.y + box.height <= v.y + v.height;
    assert.ok(inside, `"${text}" at ${JSON.stringify(box)} leaves the chart ${JSON.stringify(v)}`);
  }
}
