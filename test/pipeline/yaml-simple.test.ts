// The fast reader for plain YAML (src/pipeline/yaml-simple.ts) must agree exactly with the full parser:
// same tree, same ranges; where it is unsure it must decline. Checked on hand-picked documents, the
// shipped pipelines and thousands of random edits of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceFile } from '../../src/pipeline/source.js';
import { parseYamlFully } from '../../src/pipeline/yaml.js';
import { parseSimpleYaml } from '../../src/pipeline/yaml-simple.js';

const LIMITS = { maxValues: 2_000_000, maxDepth: 64 };
const FILE = '/p/p.yaml';

const SAMPLES = [
  'a: 1\n',
  'a:\n  b: 1\n  c: x y  # c\n\n# trailing\nd: [1, "x", {e: f}]\n',
  'a:\n- 1\n- two\nb:\n  - z\n',
  "a: { }\nb: []\nc: 'it''s'\nd: \"q\\\"x\\n\\\\\"\n",
  '# head\n\nversion: 1\nname: demo\nparams:\n  strength: 0.35\n  steps: -12\n  on: true\n  off: False\n  n: ~\n  e: 1e-4\n  f: +.5\n  g: 1.\n',
  'nodes:\n  a:\n    step: command\n    with:\n      run: echo ${{ params.x }} > "$MOE_OUT/a"\n      outputs: { a: a.txt, "b c": \'d\' }\n',
  'list:\n  - name: a\n    value: 1\n  - name: b\n    nested:\n      - x\n      - [1, 2, [3]]\n  - plain text: with colon\n  - "quoted"\n',
  '"quoted key": 1\n\'single\': 2\n1: one\n1.50: x\ntrue: t\nNull: n\n',
  'a: b#c\nd: e #f\ng: http://x.y/z\nh: -x\ni: ?y\nj: :z\nk: a, b ] }\n',
  'a: [a:b, "c", \'d\', http://e]\nb: {"k":1, x: [ ], y: { }}\n',
  'a: 0x1F\n',
  'a: .inf\n',
  'a: &x 1\nb: *x\n',
  'a: |\n  text\n',
  'a: |-\n  x\n\n   y\n\n\nb:\n  - |\n    # not a comment\n    z\n  - |  # c\n    w',
  'a: >\n  folded\n',
  'a:\n  { b: 1 }\nc:\n  "own line"\n',
  'a: x\n  continued\n',
  'a:\n  b: 1\n c: 2\n',
  'a: 1\na: 2\n',
  '<<: {a: 1}\n',
  '- 1\n- 2\n',
  '---\na: 1\n',
  'a: {b: 1,}\n',
  'a: [1, , 2]\n',
  'a: "unterminated\n',
  "a: 'x' y\n",
  'a:\tb\n',
  'a: b: c\n',
  'a:\n',
  'a: 1',
  'a:\n  - b\n  -\n',
  'a: { run: ${{ x }} }\n',
  'key with spaces: value\n  # indented comment\nnext: 2\n',
  '-a: 1\n-1: 2\n',
  'a:\n  b:\n    c: 1\n    # ends the file inside a block\n',
];

function shipped(): string[] {
  const dir = fileURLToPath(new URL('../../pipelines/', import.meta.url));
  return readdirSync(dir)
    .filter((n) => n.endsWith('.yaml'))
    .map((n) => readFileSync(dir + n, 'utf8'));
}

/** When the fast reader accepts a text, the full parser reads it the same way, without a complaint. */
function agree(text: string): boolean {
  const source = new SourceFile(FILE, text);
  const simple = parseSimpleYaml(source, LIMITS);
  if (simple === undefined) return false;
  const full = parseYamlFully(source);
  assert.deepEqual(full.diagnostics, [], `the fast reader accepted invalid YAML: ${JSON.stringify(text)}`);
  assert.deepEqual(simple, full.root, JSON.stringify(text));
  return true;
}

test('the fast YAML reader builds what the full parser builds, or declines', () => {
  const accepted = SAMPLES.filter(agree).length;
  assert.ok(accepted >= 10, `only ${accepted} samples read fast`);
  for (const text of shipped()) assert.ok(agree(text), 'a shipped pipeline is read fast');
  for (const declined of ['a: 0x1F\n', 'a: &x 1\nb: *x\n', 'a: >\n  text\n', 'a: 1\na: 2\n', 'a:\tb\n']) {
    assert.equal(parseSimpleYaml(new SourceFile(FILE, declined), LIMITS), undefined, declined);
  }
});

test('random edits of pipelines: the fast reader never disagrees with the full parser', () => {
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = [
    ' ',
    '  ',
    '|',
    '|-',
    ':',
    ': ',
    '-',
    '- ',
    '#',
    ' #',
    '"',
    "'",
    '[',
    ']',
    '{',
    '}',
    ',',
    '\n',
    'x',
    '1',
    '.',
    '\\',
  ];
  const bases = [...SAMPLES, ...shipped().map((t) => t.slice(0, 3000))];
  let accepted = 0;
  for (let i = 0; i < 4000; i++) {
    let text = bases[rand(bases.length)]!;
    for (let edits = 1 + rand(3); edits > 0; edits--) {
      const at = rand(text.length + 1);
      const cut = rand(3) === 0 ? 1 + rand(3) : 0;
      text = text.slice(0, at) + alphabet[rand(alphabet.length)]! + text.slice(at + cut);
    }
    if (agree(text)) accepted++;
  }
  assert.ok(accepted > 300, `only ${accepted} edited texts were read fast: the check says little`);
});
