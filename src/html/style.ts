// The page's only stylesheet, inlined. System fonts (nothing to download), tabular figures in tables,
// one colour per party of the method: blue the base, orange the refiner, green the pair.
export const STYLE = `
:root {
  --ink: #1d2330; --muted: #5f6b7a; --line: #dfe3ea; --paper: #ffffff; --wash: #f5f7fa;
  --base: #3566c8; --refiner: #d9782d; --pair: #23915f; --other: #7a8596;
  --good: #1f8a53; --bad: #c2413b;
}
* { box-sizing: border-box; }
html { background: var(--wash); }
body {
  margin: 0; color: var(--ink); background: var(--wash);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  -webkit-font-smoothing: antialiased;
}
main { max-width: 1080px; margin: 0 auto; padding: 40px 28px 64px; }
header h1 { font-size: 30px; line-height: 1.2; margin: 0 0 6px; letter-spacing: -0.01em; }
header .subtitle { color: var(--muted); margin: 0 0 20px; }
nav.toc { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 14px; margin: 0 0 28px;
  padding: 10px 0; border-top: 1px solid var(--line); border-bottom: 1px solid var(--line); }
nav.toc a { color: var(--muted); text-decoration: none; }
nav.toc a:hover { color: var(--ink); text-decoration: underline; }
section { background: var(--paper); border: 1px solid var(--line); border-radius: 10px;
  padding: 22px 26px 24px; margin: 0 0 22px; overflow-x: auto; }
section h2 { font-size: 20px; margin: 0 0 6px; letter-spacing: -0.005em; }
section h3 { font-size: 15px; margin: 22px 0 8px; color: var(--ink); }
p.lede { color: var(--muted); margin: 0 0 16px; max-width: 75ch; }
.muted { color: var(--muted); font-weight: normal; font-size: 13px; }
code { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, "DejaVu Sans Mono", monospace; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr)); gap: 14px; margin: 0 0 24px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card.good { border-left: 4px solid var(--good); }
.card.bad { border-left: 4px solid var(--bad); }
.card-label { font-size: 12px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
.card-value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; margin: 2px 0; }
.card-detail { font-size: 13px; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(400px, 100%), 1fr)); gap: 18px; }
figure.chart-box { margin: 0; }
figure.chart-box figcaption { font-size: 14px; margin: 0 0 4px; }
svg.chart { width: 100%; height: auto; display: block; font-family: inherit; }
svg.bars { max-width: 760px; margin: 0 0 10px; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { stroke: #aab2bf; stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
svg .axis-label, svg .band { fill: var(--ink); font-size: 12px; }
svg .value { fill: var(--ink); font-size: 11px; font-variant-numeric: tabular-nums; }
svg .value.best { font-weight: 700; }
svg path { fill: none; stroke-linejoin: round; stroke-linecap: round; }
svg path.raw { stroke-width: 1; opacity: 0.28; }
svg path.smooth { stroke-width: 2.2; }
svg path.curve { stroke-width: 2; }
svg path.curve.tone-base { stroke: var(--base); }
svg path.curve.tone-refiner { stroke: var(--refiner); }
svg path.curve.tone-pair { stroke: var(--pair); stroke-dasharray: 5 3; }
svg path.curve.tone-other { stroke: var(--other); }
svg .cutoff { stroke: var(--ink); stroke-width: 1; stroke-dasharray: 3 3; }
svg.tone-base path { stroke: var(--base); }
svg.tone-refiner path { stroke: var(--refiner); }
svg.tone-pair path { stroke: var(--pair); }
svg.tone-other path { stroke: var(--other); }
rect.bar.tone-base { fill: var(--base); }
rect.bar.tone-refiner { fill: var(--refiner); }
rect.bar.tone-pair { fill: var(--pair); }
rect.bar.tone-other { fill: var(--other); }
rect.bar { opacity: 0.85; }
rect.bar.best { opacity: 1; stroke: var(--ink); stroke-width: 1.5; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 7px; vertical-align: 0; }
.swatch.tone-base, .fill.tone-base { background: var(--base); }
.swatch.tone-refiner, .fill.tone-refiner { background: var(--refiner); }
.swatch.tone-pair, .fill.tone-pair { background: var(--pair); }
.swatch.tone-other, .fill.tone-other { background: var(--other); }
table { border-collapse: collapse; }
table.data { width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.data thead th { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); font-weight: 600; }
table.data thead th .muted { text-transform: none; letter-spacing: 0; }
table.data tbody th { font-weight: 500; }
table.data .num { text-align: right; white-space: nowrap; }
table.data td.best { font-weight: 700; color: var(--good); }
table.data tfoot th, table.data tfoot td { font-weight: 650; border-bottom: none; }
table.settings td { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, "DejaVu Sans Mono", monospace; }
td.clash { color: var(--bad); font-weight: 700; }
.flag { font-size: 11px; color: #fff; background: var(--bad); border-radius: 4px; padding: 1px 5px; margin-left: 6px; }
.meter-cell { width: 45%; vertical-align: middle !important; }
.meter { display: block; height: 10px; background: var(--wash); border-radius: 5px; overflow: hidden; }
.meter .fill { display: block; height: 100%; border-radius: 5px; }
.scroll { overflow-x: auto; }
.legend { display: flex; gap: 18px; font-size: 13px; color: var(--muted); margin: 0 0 6px; }
.prompt-group { border-top: 1px solid var(--line); padding: 12px 0 4px; }
.prompt-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; margin: 0 0 8px; }
h3.prompt { font-size: 15px; font-weight: 600; margin: 0; overflow-wrap: anywhere; }
.tallies { display: flex; gap: 14px; font-size: 13px; color: var(--muted); }
.tally.good { color: var(--good); font-weight: 600; }
.pairs { display: flex; flex-wrap: wrap; gap: 12px; }
figure.pair-card { margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 8px; background: var(--wash); }
figure.pair-card figcaption { font-size: 12px; color: var(--muted); margin: 0 0 6px; }
.pair-images { display: flex; gap: 8px; }
.sample { width: 100px; text-align: center; }
.sample img { width: 100px; height: 100px; object-fit: contain; image-rendering: pixelated; display: block;
  border-radius: 6px; border: 2px solid var(--line); background: var(--paper); }
.sample.good img { border-color: var(--good); }
.sample.bad img { border-color: #e6b3b0; }
.missing { width: 100px; height: 100px; display: flex; align-items: center; justify-content: center; color: var(--muted);
  border: 1px dashed var(--line); border-radius: 6px; font-size: 13px; }
.verdict { font-size: 12px; color: var(--muted); margin-top: 4px; }
.verdict.good { color: var(--good); }
.verdict.bad { color: var(--bad); }
table.data tr.pair > * { background: #eef7f1; }
table.data tr.pair > th { font-weight: 650; }
table.data td.headline strong { font-size: 16px; }
.fill.ran { background: var(--base); }
.fill.reused { background: #b8c1cd; }
table.reuse .fill.reused { background: var(--pair); }
.chip { display: inline-block; font-size: 12px; line-height: 18px; padding: 0 8px; border-radius: 9px; }
.chip.ran { background: #e3ebfa; color: #24489a; }
.chip.reused { background: var(--wash); color: var(--muted); border: 1px solid var(--line); }
.checks { display: flex; flex-wrap: wrap; justify-content: center; gap: 3px; margin-top: 4px; }
.check { font-size: 11px; line-height: 16px; padding: 0 5px; border-radius: 4px; }
.check.held { background: #e5f4ec; color: var(--good); }
.check.failed { background: #fbe9e8; color: var(--bad); }
.kv-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 0 28px; align-items: start; }
table.settings.compact th, table.settings.compact td { padding: 5px 8px; }
table.settings.compact td { text-align: right; }
table.settings tr.unset > * { color: #9aa3af; }
table.data.adherence tbody th, table.data.timings tbody th, table.data.timings thead th { white-space: nowrap; }
.seen { font-size: 11px; color: var(--muted); margin-top: 3px; }
ul.extra, ul.notes { margin: 14px 0 0; padding-left: 20px; }
p.empty { color: var(--muted); }
footer { color: var(--muted); font-size: 13px; text-align: center; margin-top: 28px; }
@media print { html, body { background: #fff; } section { break-inside: avoid; border: none; padding: 0; overflow: visible; } }
`;
