// The diagnostics printer: what `moe validate` shows a person.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostics } from '../../src/pipeline/format.js';
import { load } from './fixtures.js';

const TEXT = `version: 1
nodes:
  prepare:
    stpe: command
    step: command
  a:
    step: command
    needs: [b]
  b:
    step: command
    with:
      run: "x\t\${{ nodes.a.outputs.x }}"
`;

test('diagnostics print as path:line:col with the source line, an underline, help and notes', () => {
  const r = load(TEXT);
  assert.ok(!r.ok);
  const out = formatDiagnostics(r.error.diagnostics, {
    source: () => TEXT,
    color: false,
    relativeTo: '/work',
  });
  assert.equal(
    out,
    `pipelines/p.yaml:4:5: error: unknown key \`stpe\` in \`nodes.prepare\`
 4 |     stpe: command
   |     ^~~~
  help: did you mean \`step\`?

pipelines/p.yaml:6:3: error: cycle: a → b → a
 6 |   a:
   |   ^
  help: remove one of these dependencies
  note: pipelines/p.yaml:12:19: \`b\` needs \`a\` here
 12 |       run: "x\t\${{ nodes.a.outputs.x }}"
    |              \t    ^~~~~~~~~~~~~~~~~
  note: pipelines/p.yaml:8:13: \`a\` needs \`b\` here
 8 |     needs: [b]
   |             ^

pipelines/p.yaml:12:19: error: node \`a\` has no output \`x\` (it declares none)
 12 |       run: "x\t\${{ nodes.a.outputs.x }}"
    |              \t    ^~~~~~~~~~~~~~~~~
  note: pipelines/p.yaml:6:3: \`a\` is defined here
 6 |   a:
   |   ^

3 errors
`,
  );
});

test('color, missing sources, problems without a place, and long lines', () => {
  const long = `version: 1\nnodes: { a: { step: command, with: { run: "${'x'.repeat(300)} \${{ params.nope }}" } } }\n`;
  const r = load(long, { params: { nope: '1' } });
  assert.ok(!r.ok);
  const plain = formatDiagnostics(r.error.diagnostics, { source: () => long, color: false });
  const lines = plain.split('\n');
  assert.equal(lines[0], 'error: --param nope: the pipeline has no parameter `nope`');
  assert.equal(lines[1], '  help: the pipeline declares no `params:`');
  assert.equal(lines[3], '/work/pipelines/p.yaml:2:349: error: unknown parameter `nope`');
  assert.ok((lines[4]?.length ?? 0) < 180, 'very long lines are cut around the column');
  const caret = (lines[5] ?? '').indexOf('^');
  assert.equal(lines[4]?.slice(caret, caret + 11), 'params.nope');
  const colored = formatDiagnostics(r.error.diagnostics, { source: () => undefined, color: true });
  assert.ok(colored.includes('\x1b[1;31merror\x1b[0m'));
  assert.doesNotMatch(colored, / \| /, 'no source lines when the source is unknown');
  assert.equal(formatDiagnostics([], { source: () => undefined, color: false }), '');
});
