// The loaded-pipeline cache (src/engine/pipeline-cache.ts): a pipeline read back from it equals the one
// the loader produced, source ranges included, so diagnostics after a cache hit point at the same place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { codeIdentity, readCached, writeCached } from '../../src/engine/pipeline-cache.js';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { PackedNode } from '../../src/pipeline/packed-node.js';
import { SourceFile } from '../../src/pipeline/source.js';
import type { SourceRange } from '../../src/pipeline/diagnostic.js';
import type { Pipeline } from '../../src/pipeline/types.js';
import type { NodeId } from '../../src/util/brand.js';
import { steps } from './fixtures.js';

const TEXT = `version: 1
name: cached
params:
  word: hello
executor: { kind: slurm, partition: gpu, sbatch_flags: [--exclusive] }
nodes:
  a:
    step: command
    with:
      run: echo \${{ params.word }} > "$MOE_OUT/a.txt"
      outputs: { a: a.txt }
  b:
    step: command
    timeout: 1h
    with:
      argv: [cat, "\${{ nodes.a.outputs.a }}"]
      inputs: [x.txt, "\${{ format('{0}.txt', params.word) }}"]
`;

/** The pipeline file as read, as the cache's reader is given it. */
const source = (dir: string) => (): SourceFile => new SourceFile(join(dir, 'p.yaml'), TEXT);

test('a cached pipeline reads back equal to the loaded one, ranges and all, in half the bytes', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-pcache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const loaded = loadPipelineText(join(dir, 'p.yaml'), TEXT, { steps });
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.error));
  writeCached(dir, 'k', { pipeline: loaded.value.pipeline, warnings: loaded.value.warnings });
  const back = readCached(dir, 'k', source(dir));
  assert.ok(back);
  // Templates stay packed (a cached rerun reads none); each read builds one equal to the loaded node's.
  const nodeA = back.pipeline.nodes.get('a' as NodeId)!;
  assert.ok(nodeA instanceof PackedNode);
  assert.notEqual(nodeA.with, nodeA.with);
  assert.deepEqual(nodeA.with, loaded.value.pipeline.nodes.get('a' as NodeId)?.with);
  // JSON has no `undefined`: compare what survives it (the cache has always dropped absent fields).
  const plain = (p: Pipeline): unknown =>
    JSON.parse(JSON.stringify({ ...p, params: [...p.params], nodes: [...p.nodes] }));
  assert.deepEqual(plain(back.pipeline), plain(loaded.value.pipeline));
  assert.ok(back.pipeline.nodes instanceof Map && back.pipeline.params instanceof Map);
  const again = loadPipelineText(join(dir, 'p.yaml'), TEXT, { steps });
  assert.ok(again.ok);
  assert.deepEqual(plain(loaded.value.pipeline), plain(again.value.pipeline), 'writing leaves it as it was');
  // The loader keeps a range as two offsets into the file, the cache as plain positions: both read alike.
  const seen = (r: SourceRange | undefined): unknown => r && { file: r.file, start: r.start, end: r.end };
  assert.deepEqual(
    seen(back.pipeline.nodes.get('b' as NodeId)?.range),
    seen(loaded.value.pipeline.nodes.get('b' as NodeId)?.range),
  );
  assert.deepEqual(seen(loaded.value.pipeline.nodes.get('b' as NodeId)?.range), {
    file: join(dir, 'p.yaml'),
    start: { line: 12, column: 3, offset: 241 },
    end: { line: 12, column: 4, offset: 242 },
  });
  assert.deepEqual(back.warnings, loaded.value.warnings);
  // The pipeline's head on the first line, then a node a line, its ranges packed (no "offset" keys).
  const lines = readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8').split('\n');
  assert.equal(lines.length, 1 + loaded.value.pipeline.nodes.size + 1);
  assert.equal(lines.at(-1), '');
  assert.ok(lines.slice(1).every((l) => !l.includes('"offset"')));
  assert.equal(readCached(dir, 'other', source(dir)), undefined);
});

test('a cached pipeline cut short (a crash while it was written) is no entry', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-pcache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const loaded = loadPipelineText(join(dir, 'p.yaml'), TEXT, { steps });
  assert.ok(loaded.ok);
  writeCached(dir, 'k', { pipeline: loaded.value.pipeline, warnings: loaded.value.warnings });
  const file = join(dir, 'k.json');
  const whole = readFileSync(file, 'utf8');
  assert.ok(readCached(dir, 'k', source(dir)));
  // Without its last node's line; with that line unfinished; without any node.
  const lines = whole.split('\n');
  for (const cut of [
    `${lines.slice(0, -2).join('\n')}\n`,
    whole.slice(0, whole.length - 5),
    `${lines[0]}\n`,
    '',
  ]) {
    writeFileSync(file, cut);
    assert.equal(readCached(dir, 'k', source(dir)), undefined, JSON.stringify(cut.slice(-40)));
  }
});

test('code stands for itself in a cache key by its files: an edited module changes it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-code-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Identities are worked out once per process and list of paths: each copy stands for another build.
  const identityOf = (name: string, files: Readonly<Record<string, string>>): string => {
    for (const [path, text] of Object.entries(files)) {
      const abs = join(dir, name, path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, text);
      utimesSync(abs, 1_000_000, 1_000_000);
    }
    return codeIdentity([join(dir, name, 'rules'), join(dir, name, 'schema')]);
  };
  const files = { 'rules/deep/a.js': 'export const a = 1;', 'rules/notes.md': 'x', 'schema.ts': 's' };
  const before = identityOf('one', files);
  assert.equal(identityOf('two', files), before, 'the same files, the same identity');
  assert.equal(identityOf('three', { ...files, 'rules/notes.md': 'not code' }), before);
  assert.notEqual(identityOf('four', { ...files, 'rules/deep/a.js': 'export const a = 22;' }), before);
  assert.notEqual(identityOf('five', { ...files, 'schema.ts': 'ss' }), before, 'a module by its stem');
  assert.notEqual(identityOf('six', { ...files, 'rules/b.ts': '' }), before, 'a module added');
  // A path that is neither a folder nor a module stands for code that cannot be checked: never equal.
  assert.match(codeIdentity([join(dir, 'missing')]), /^\d+$/);
});
