// The graph: stable topological order, whole cycles, and a 10,000-node pipeline that loads quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeGraph } from '../../src/pipeline/graph.js';
import { nodeId } from '../../src/util/brand.js';
import { layeredPipeline, load, problems } from './fixtures.js';

const graph = (edges: Record<string, string[]>) =>
  analyzeGraph({ ids: Object.keys(edges), needs: new Map(Object.entries(edges)) });

test('ready nodes go in file order', () => {
  assert.deepEqual(graph({ c: ['a'], b: [], a: [], d: ['c', 'b'] }).order, ['b', 'a', 'c', 'd']);
  assert.deepEqual(graph({ z: [], y: ['z'], x: [] }).order, ['z', 'y', 'x']);
});

test('each cycle is reported once, whole, from its earliest node, in data-flow order', () => {
  const r = graph({ a: ['c'], b: ['a'], c: ['b'], d: ['a'], e: ['f'], f: ['e'], g: ['e'] });
  assert.deepEqual(r.cycles, [
    ['a', 'b', 'c'],
    ['e', 'f'],
  ]);
  assert.deepEqual(r.order, [], 'nothing is ready: every node is on or behind a cycle');
  assert.deepEqual(graph({ ok: [], a: ['b'], b: ['a'] }).order, ['ok']);
});

test('a shortest cycle is shown when a component holds several', () => {
  const r = graph({ a: ['b'], b: ['c', 'a'], c: ['a'] });
  assert.deepEqual(r.cycles, [['a', 'b']]);
});

test('unknown prerequisites are ignored here (the loader reports them)', () => {
  assert.deepEqual(graph({ a: ['nope'] }).order, ['a']);
});

test('a long chain does not overflow the stack', () => {
  const edges: Record<string, string[]> = {};
  for (let i = 0; i < 50_000; i++) edges[`n${i}`] = i === 0 ? [`n${49_999}`] : [`n${i - 1}`];
  const r = graph(edges);
  assert.equal(r.cycles.length, 1);
  assert.equal(r.cycles[0]?.length, 50_000);
});

test('a 10,000-node pipeline loads and validates well within the engine budget', () => {
  const text = layeredPipeline(100, 100);
  const cpu = process.cpuUsage();
  const r = load(text);
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000;
  assert.ok(r.ok);
  assert.equal(r.value.pipeline.order.length, 10_000);
  assert.equal(r.value.pipeline.order[0], 'n0_0');
  assert.equal(r.value.pipeline.order.at(-1), 'n99_99');
  assert.deepEqual(r.value.pipeline.nodes.get(nodeId('n5_0'))?.needs, ['n4_0', 'n4_14', 'n4_7']);
  // The target is well under 2 s; this bound (CPU time, so a busy machine does not flake it) only
  // catches a quadratic slip, which would take minutes at this size.
  assert.ok(ms < 30_000, `took ${ms.toFixed(0)} ms of CPU`);
});

test('in a big pipeline a typo and a self-dependency are still reported precisely', () => {
  const text =
    layeredPipeline(3, 10).replace('nodes.n1_3.outputs.out', 'nodes.n1_3.outputs.otu') +
    '  n0_0x:\n    step: command\n    needs: [n0_0x]\n';
  assert.deepEqual(problems(text), [
    'p.yaml:147:21: error: node `n1_3` has no output `otu` (it declares `out`) [help: did you mean `out`?]',
    'p.yaml:188:13: error: node `n0_0x` needs itself',
  ]);
});

test('an error deep in a 10,000-node file names its line and column, in text and in JSON', () => {
  const big = layeredPipeline(100, 100);
  // Where a person would look: found by searching the text, not through the loader's line table.
  const at = (text: string, needle: string, skip = 0): string => {
    const i = text.indexOf(needle) + skip;
    const before = text.slice(0, i).split('\n');
    return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
  };
  const head = '  n73_41:\n    step: command\n    with:\n';
  const badKey = big.replace(head, `${head}      shell: 3\n`);
  assert.equal(at(badKey, 'shell: 3'), '44055:7');
  assert.deepEqual(problems(badKey), [
    'p.yaml:44055:7: error: unknown key `shell` in `nodes.n73_41.with` [help: allowed keys: run, argv, inputs, outputs, env]',
  ]);
  const typo = big.replace('nodes.n98_64.outputs.out', 'nodes.n98_64.outputs.otu');
  const where = at(typo, 'nodes.n98_64.outputs.otu');
  assert.deepEqual(problems(typo), [
    `p.yaml:${where}: error: node \`n98_64\` has no output \`otu\` (it declares \`out\`) [help: did you mean \`out\`?]`,
  ]);
  // `--json` prints diagnostics as JSON: the range is plain positions there too.
  const r = load(typo);
  assert.ok(!r.ok);
  const [line, column] = where.split(':').map(Number);
  const json = JSON.parse(JSON.stringify(r.error.diagnostics[0])) as { range: unknown };
  assert.deepEqual(json.range, {
    file: '/work/pipelines/p.yaml',
    start: { line, column, offset: typo.indexOf('nodes.n98_64.outputs.otu') },
    end: {
      line,
      column: column! + 'nodes.n98_64.outputs.otu'.length,
      offset: typo.indexOf('nodes.n98_64.outputs.otu') + 24,
    },
  });
});
