// The loader's node-by-node build (src/pipeline/build-stream.ts): for a file without problems it gives the
// very pipeline that building the whole tree gives; for anything else it steps aside, and the tree's
// build reports the problems with their places.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildPipeline } from '../../src/pipeline/build.js';
import type { BuildOptions } from '../../src/pipeline/build.js';
import { buildStreamed } from '../../src/pipeline/build-stream.js';
import { SourceFile } from '../../src/pipeline/source.js';
import type { Pipeline } from '../../src/pipeline/types.js';
import { parseYaml } from '../../src/pipeline/yaml.js';
import { parseSimpleYaml } from '../../src/pipeline/yaml-simple.js';
import type { MapEntry } from '../../src/pipeline/node.js';
import { stepRegistry } from '../../src/app/steps.js';
import { FILE, layeredPipeline, problems, steps } from './fixtures.js';

const options = (params: Record<string, string> = {}): BuildOptions => ({ params, steps, rules: [] });

/** Everything a pipeline holds, ranges as file:line:col, maps as lists: two builds compare equal. */
function dump(p: Pipeline | undefined): string {
  return JSON.stringify(p, (_key, value: unknown) =>
    value instanceof Map ? [...(value as Map<unknown, unknown>).entries()] : value,
  );
}

function fromTree(text: string, o: BuildOptions, file = FILE): Pipeline | undefined {
  const source = new SourceFile(file, text);
  const root = parseYaml(source).root;
  assert.ok(root !== undefined);
  const built = buildPipeline(source, root, o);
  return built.diagnostics.length === 0 ? built.pipeline : undefined;
}

const streamed = (text: string, o: BuildOptions, file = FILE): Pipeline | undefined =>
  buildStreamed(new SourceFile(file, text), o, {});

test('a generated DAG is built node by node into the pipeline the whole tree gives', () => {
  const text = layeredPipeline(4, 6);
  const a = streamed(text, options());
  assert.ok(a !== undefined, 'the node-by-node build took the file');
  assert.equal(a.nodes.size, 24);
  assert.deepEqual(a.nodes.get('n1_0' as never)?.needs, ['n0_0', 'n0_1', 'n0_2'].sort().slice(0, 3));
  assert.equal(dump(a), dump(fromTree(text, options())));
});

test('params, defaults, needs, settings, sweep and objective come out as from the tree', () => {
  const text = `version: 1
name: many
params:
  width: 3
  label: run
defaults:
  command:
    timeout: 90s
    retry: { limit: 2, backoff: 2s }
    with:
      env: { MODE: fast }
nodes:
  first:
    step: command
    with:
      run: "echo \${{ params.label }}-\${{ params.width * 2 }} > $MOE_OUT/a"
      outputs: { a: a }
    resources: { cpu: 2, memory: 1GiB }
  second:
    step: command
    needs: [first]
    with:
      run: cat \${{ nodes.first.outputs.a }} > "$MOE_OUT/b"
      outputs:
        b: b
      env:
        LABEL: "\${{ params.label }}"
sweep:
  width: [3, 4]
objective:
  node: second
  metric: loss
  goal: min
executor: local
`;
  const a = streamed(text, options({ label: 'x' }));
  assert.ok(a !== undefined);
  assert.equal(dump(a), dump(fromTree(text, options({ label: 'x' }))));
  assert.equal(a.nodes.get('first' as never)?.timeoutMs, 90_000);
  assert.deepEqual(a.nodes.get('second' as never)?.needs, ['first']);
});

test('the repository pipelines build alike both ways', async () => {
  const dir = join(import.meta.dirname, '..', '..', 'pipelines');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    const registry = await stepRegistry(file);
    assert.ok(registry.ok);
    const o: BuildOptions = { params: {}, steps: registry.value, rules: [] };
    const a = streamed(text, o, file);
    if (a !== undefined) assert.equal(dump(a), dump(fromTree(text, o, file)), name);
  }
});

test('a file with any problem is left to the whole tree, which places it', () => {
  const broken = [
    layeredPipeline(2, 3).replace('n1_0:\n    step: command', 'n1_0:\n    step: comand'),
    layeredPipeline(2, 3).replace('nodes.n0_0.outputs.out', 'nodes.n0_9.outputs.out'),
    layeredPipeline(2, 3).replace('nodes.n0_0.outputs.out', 'nodes.n0_0.outputs.missing'),
    layeredPipeline(2, 3).replace('name: generated', 'name: generated\nextra: 1'),
    layeredPipeline(2, 3).replace('nodes.n0_0.outputs.out', 'nodes.n1_0.outputs.out'),
  ];
  for (const text of broken) {
    assert.equal(streamed(text, options()), undefined);
    assert.match(problems(text)[0] ?? '', /^p\.yaml:\d+:\d+: error: /, text);
  }
  assert.deepEqual(
    problems(layeredPipeline(2, 3).replace('nodes.n0_0.outputs.out', 'nodes.n0_9.outputs.out')),
    ['p.yaml:27:21: error: unknown node `n0_9` [help: did you mean `n0_0`?]'],
  );
});

test('params after nodes, or nodes as a flow map, are built from the tree alone', () => {
  const late =
    'version: 1\nnodes:\n  a:\n    step: command\n    with: { run: "echo ${{ params.x }}" }\nparams:\n  x: 1\n';
  assert.equal(streamed(late, options()), undefined);
  assert.ok(fromTree(late, options()) !== undefined);
  const flow = 'version: 1\nnodes: { a: { step: command, with: { run: echo } } }\n';
  assert.equal(streamed(flow, options()), undefined);
  assert.ok(fromTree(flow, options()) !== undefined);
});

test("the simple reader hands the root's node entries over and keeps none of them", () => {
  const text = 'version: 1\nname: x\nnodes:\n  a:\n    step: command\n  b:\n    step: command\nsweep: {}\n';
  const seen: string[] = [];
  let before: string[] = [];
  const root = parseSimpleYaml(
    new SourceFile(FILE, text),
    { maxValues: 1000, maxDepth: 64 },
    {
      start: (entries: readonly MapEntry[]) => (before = entries.map((e) => e.key)),
      node: (e) => seen.push(`${e.key}@${e.keyRange.start.line}`),
    },
  );
  assert.deepEqual(before, ['version', 'name']);
  assert.deepEqual(seen, ['a@4', 'b@6']);
  assert.equal(root?.kind, 'map');
  const nodes = root?.kind === 'map' ? root.entries.find((e) => e.key === 'nodes')?.value : undefined;
  assert.deepEqual(nodes?.kind === 'map' ? nodes.entries : undefined, []);
  assert.deepEqual(root?.kind === 'map' ? root.entries.map((e) => e.key) : [], [
    'version',
    'name',
    'nodes',
    'sweep',
  ]);
});
