// A node's `with` template held packed (src/pipeline/packed-template.ts, packed-node.ts): each read builds
// the template the loader built, every range pointing at the same line and column; what JSON cannot write
// as it is stays as objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceRange } from '../../src/pipeline/diagnostic.js';
import { PackedNode } from '../../src/pipeline/packed-node.js';
import { packTemplate, unpackTemplate } from '../../src/pipeline/packed-template.js';
import { SourceFile } from '../../src/pipeline/source.js';
import { buildTemplate } from '../../src/pipeline/template.js';
import type { WithTemplate } from '../../src/pipeline/types.js';
import { parseYaml } from '../../src/pipeline/yaml.js';
import { load } from './fixtures.js';

const WITH = `run: echo \${{ params.n * 2 + 1 }} \${{ !params.flag }} \${{ format('{0}-{1}', params.word, -3) }} > "$MOE_OUT/o"
list: [1, 2.5, true, null, "x \${{ nodes.up.outputs.o }}", "\${{ params.n }}", ~]
deep: { a: { b: [ { c: "é 😀 \\u2028" } ] } }
empty: {}
none: []
`;

/** The template as the loader builds it from `text` (a `with:` block's YAML), with its source. */
function built(text: string): { template: WithTemplate; source: SourceFile } {
  const source = new SourceFile('/p.yaml', text);
  const root = parseYaml(source).root;
  assert.ok(root !== undefined);
  return { template: buildTemplate(root, source, []), source };
}

/** The template with every range as `line:col-line:col`, so that two builds compare by place. */
function placed(t: WithTemplate): unknown {
  return JSON.parse(
    JSON.stringify(t, (key, value: unknown) => {
      if (key !== 'range') return value;
      const r = value as SourceRange;
      return `${r.file}:${r.start.line}:${r.start.column}-${r.end.line}:${r.end.column}`;
    }),
  );
}

test('a packed template reads back as the template the loader built, expressions and places alike', () => {
  const { template, source } = built(WITH);
  const packed = packTemplate(template, source);
  assert.ok(packed !== undefined);
  assert.deepEqual(placed(unpackTemplate(packed, source)), placed(template));
  // A quarter or less of the objects' size, as text.
  assert.ok(packed.length < 1200, `${packed.length} characters`);
});

test('numbers JSON cannot write as they are, and ranges from elsewhere, leave a template unpacked', () => {
  for (const value of ['.nan', '.inf', '-.inf', '-0']) {
    const { template, source } = built(`x: ${value}\n`);
    assert.equal(packTemplate(template, source), undefined, value);
  }
  const { template } = built('x: 1\n');
  assert.equal(packTemplate(template, new SourceFile('/p.yaml', 'x: 1\n')), undefined, 'another read');
});

test('a loaded node holds its template packed and writes as JSON as a plain node does', () => {
  const loaded = load(`version: 1
name: p
params: { n: 1, flag: true, word: w }
nodes:
  up:
    step: command
    with: { run: 'echo > "$MOE_OUT/o"', outputs: { o: o } }
  a:
    step: command
    with:
      run: echo \${{ params.n * 2 + 1 }} \${{ nodes.up.outputs.o }} > "$MOE_OUT/o"
      outputs: { o: o }
`);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.error));
  const a = loaded.value.pipeline.nodes.get('a' as never);
  assert.ok(a instanceof PackedNode);
  const expr = a.with.kind === 'map' ? a.with.entries[0]?.[1] : undefined;
  assert.ok(expr?.kind === 'interpolated');
  const ref = expr.parts[3];
  assert.ok(typeof ref === 'object' && ref.kind === 'ref');
  assert.deepEqual(ref.path, ['nodes', 'up', 'outputs', 'o']);
  assert.deepEqual([ref.range.start.line, ref.range.start.column], [11, 45]);
  const json = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json), ['id', 'step', 'range', 'needs', 'with', 'resources', 'retry']);
  assert.deepEqual(json['with'], JSON.parse(JSON.stringify(a.with)));
});
