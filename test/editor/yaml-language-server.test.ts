// Pipelines in an editor: the real yaml-language-server (what VS Code's YAML extension and other editors
// run), started over stdio and driven with LSP JSON-RPC. Each shipped pipeline, read through the schema
// its first line names, shows no diagnostics; a copy with four planted mistakes shows each on its line,
// and `moe validate` rejects the same four; completion and hover work inside the pipeline.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { datasetSynthetic } from '../../plugins/synthetic-shapes/index.js';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { builtinSteps } from '../../src/steps/builtin.js';
import { StepRegistry } from '../../src/steps/registry.js';
import { LspClient } from './lsp.js';
import type { CompletionItem, LspDiagnostic } from './lsp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PIPELINES = join(ROOT, 'pipelines');
// Generous: the server answers in well under a second, but the machine may be busy with other tests.
const WAIT_MS = 60_000;

let client: LspClient;
before(async () => {
  client = await LspClient.start(ROOT);
});
after(async () => {
  await client.close();
});

/** Opens `text` as if it were the file `name` in pipelines/ (nothing is written), and waits for its check. */
async function check(name: string, text: string): Promise<{ uri: string; diagnostics: LspDiagnostic[] }> {
  const uri = pathToFileURL(join(PIPELINES, name)).href;
  client.open(uri, text);
  return { uri, diagnostics: await client.diagnosticsFor(uri, WAIT_MS) };
}

const show = (d: LspDiagnostic): string =>
  `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`;

test('every shipped pipeline opens with no diagnostics', async () => {
  const files = readdirSync(PIPELINES).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 3, `pipelines: ${files.join(', ')}`);
  const checks = files.map((f) => {
    const text = readFileSync(join(PIPELINES, f), 'utf8');
    assert.match(text, /^# yaml-language-server: \$schema=\.\.\/schemas\/[a-z0-9.-]+\.schema\.json\n/, f);
    return check(f, text).then((r) => ({ file: f, ...r }));
  });
  for (const { file, uri, diagnostics } of await Promise.all(checks)) {
    assert.deepEqual(diagnostics.map(show), [], `${file} in the editor`);
    // No diagnostics must mean "checked and fine": the schema was loaded, as hover on a step type shows.
    const lines = readFileSync(join(PIPELINES, file), 'utf8').split('\n');
    const line = lines.findIndex((l) => /^\s+step: \S/.test(l));
    const hover = await client.hover(uri, { line, character: lines[line]!.indexOf('step:') + 7 });
    const text = typeof hover?.contents === 'string' ? hover.contents : (hover?.contents.value ?? '');
    assert.match(text, /The step type\./, `${file}: hover on line ${line + 1}`);
  }
});

/** tiny.yaml with one mistake of each kind; each `find` must occur once, so a changed file fails loudly. */
const MISTAKES = [
  {
    find: 'step: models.tiny',
    put: 'step: models.tinny',
    flagged: /Value is not accepted\. Valid values: .*"models\.tiny"/,
  },
  {
    find: 'prediction_type: v_prediction',
    put: 'prediction_type: v_predicton',
    flagged: /Valid values: "epsilon", "v_prediction", "sample"/,
  },
  {
    find: 'checkpoint_every: ${{ params.checkpoint_every }}',
    put: 'checkpoint_evry: 100',
    flagged: /Property checkpoint_evry is not allowed/,
  },
  {
    find: 'batch_size: ${{ params.batch_size }}',
    put: 'batch_size: sixteen',
    flagged: /Incorrect type\. Expected "integer"/,
  },
];

function planted(): { text: string; lines: number[] } {
  let text = readFileSync(join(PIPELINES, 'tiny.yaml'), 'utf8');
  const lines: number[] = [];
  for (const m of MISTAKES) {
    const at = text.indexOf(m.find);
    assert.ok(at !== -1, `tiny.yaml has \`${m.find}\``);
    text = text.slice(0, at) + m.put + text.slice(at + m.find.length);
    lines.push(text.slice(0, at).split('\n').length);
  }
  return { text, lines };
}

test('four planted mistakes are each flagged on their line, and nothing else is', async () => {
  const { text, lines } = planted();
  const { diagnostics } = await check('planted-mistakes.yaml', text);
  const byLine = new Map(diagnostics.map((d) => [d.range.start.line + 1, d.message]));
  MISTAKES.forEach((m, i) => {
    const line = lines[i]!;
    assert.match(byLine.get(line) ?? '(nothing)', m.flagged, `line ${line}: ${m.put}`);
  });
  assert.deepEqual(
    diagnostics.filter((d) => !lines.includes(d.range.start.line + 1)).map(show),
    [],
    'no other diagnostics',
  );
});

test('moe validate rejects the same four mistakes, on the same lines', async () => {
  const { text, lines } = planted();
  const steps = new StepRegistry();
  for (const s of [...(await builtinSteps()), datasetSynthetic]) steps.register(s, { origin: 'test' });
  const loaded = loadPipelineText(join(PIPELINES, 'planted-mistakes.yaml'), text, { steps, rules: [] });
  assert.ok(!loaded.ok);
  const errorLines = new Set(
    loaded.error.diagnostics.filter((d) => d.severity === 'error').map((d) => d.range?.start.line),
  );
  for (const line of lines) assert.ok(errorLines.has(line), `moe flags line ${line}`);
});

const labels = (items: readonly CompletionItem[]): string[] => items.map((i) => i.label);

test('completion offers the step types after `step:`, the parameters inside `with`, enum values', async () => {
  const text = `# yaml-language-server: $schema=../schemas/tiny.schema.json
version: 1
plugins: [../plugins/synthetic-shapes]
nodes:
  a:
    step: 
  b:
    step: train.expert
    with:
      role: base
      
      lr_scheduler: 
`;
  const { uri } = await check('completion.yaml', text);
  const steps = labels((await client.completion(uri, { line: 5, character: 10 })).items);
  for (const name of ['command', 'train.expert', 'compose.inference', 'dataset.synthetic'])
    assert.ok(steps.includes(name), `step types offered: ${steps.join(', ')}`);

  const params = (await client.completion(uri, { line: 10, character: 6 })).items;
  for (const name of ['model', 'cache', 'lr_warmup_steps', 'batch_size', 'strength'])
    assert.ok(labels(params).includes(name), `parameters offered: ${labels(params).join(', ')}`);
  assert.ok(!labels(params).includes('role'), 'a key already there is not offered again');
  assert.deepEqual(
    labels(params).filter((l) => /\.json$|^with:/.test(l)),
    [],
    'no completion item named after a schema file or definition',
  );
  assert.equal(
    params.find((i) => i.label === 'strength')?.insertText,
    'strength: ${1:0.35}',
    'defaults as snippets',
  );

  const values = labels((await client.completion(uri, { line: 11, character: 20 })).items);
  assert.deepEqual(values.sort(), ['constant', 'constant_with_warmup', 'cosine', 'linear']);
});

test('hover shows the description of a parameter, also where its value is an expression', async () => {
  const text = readFileSync(join(PIPELINES, 'tiny.yaml'), 'utf8');
  const { uri } = await check('hover.yaml', text);
  const lines = text.split('\n');
  const hoverAt = async (needle: string, column: number): Promise<string> => {
    const line = lines.findIndex((l) => l.includes(needle));
    assert.ok(line !== -1, needle);
    const h = await client.hover(uri, { line, character: lines[line]!.indexOf(needle) + column });
    return typeof h?.contents === 'string' ? h.contents : (h?.contents.value ?? '');
  };
  const expression = await hoverAt('lr_scheduler: ${{ params.lr_scheduler }}', 2);
  assert.match(expression, /get\\?_scheduler semantics/);
  assert.match(expression, /expression/);
  const literal = await hoverAt('role: refiner', 7);
  assert.match(literal, /the low-noise one/);
  assert.match(literal, /`base`/);
  const step = await hoverAt('step: compose.inference', 8);
  assert.match(step, /Two-stage sampling/);
});
