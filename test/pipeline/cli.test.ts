// `moe validate` and `moe graph` as a user runs them (the built CLI, the real built-in steps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir, writePipeline } from './fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/moe.js', import.meta.url));

function moe(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const VALID = `version: 1
name: demo
params:
  strength: 0.35
nodes:
  prepare:
    step: command
    with:
      run: "echo data > $MOE_OUT/data"
      outputs: { data: data }
  train:
    step: command
    with:
      run: "cat \${{ nodes.prepare.outputs.data }} > $MOE_OUT/model; echo \${{ 1 - params.strength }}"
      outputs: { model: model }
`;

const INVALID = `version: 1
params:
  strength: 0.35
nodes:
  prepare:
    stpe: command
  train:
    step: comand
    with:
      run: "train --split \${{ 1 - params.strenght }}"
`;

test('moe validate: a valid pipeline exits 0', () => {
  const dir = tempDir();
  writePipeline(dir, 'p.yaml', VALID);
  const r = moe(dir, 'validate', 'p.yaml', '--param', 'strength=0.5');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'p.yaml: valid (2 nodes)\n');
  assert.equal(r.stderr, '');
});

test('moe validate: an invalid pipeline exits 2 with every diagnostic and no stack trace', () => {
  const dir = tempDir();
  writePipeline(dir, 'p.yaml', INVALID);
  const r = moe(dir, 'validate', 'p.yaml');
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `p.yaml:6:5: error: unknown key \`stpe\` in \`nodes.prepare\`
 6 |     stpe: command
   |     ^~~~
  help: did you mean \`step\`?

p.yaml:8:11: error: unknown step type \`comand\`
 8 |     step: comand
   |           ^~~~~~
  help: did you mean \`command\`?

p.yaml:10:35: error: unknown parameter \`strenght\`
 10 |       run: "train --split \${{ 1 - params.strenght }}"
    |                                   ^~~~~~~~~~~~~~~
  help: did you mean \`strength\`?

3 errors
`,
  );
});

test('moe validate --json', () => {
  const dir = tempDir();
  const file = writePipeline(dir, 'p.yaml', INVALID);
  const r = moe(dir, 'validate', 'p.yaml', '--json');
  assert.equal(r.code, 2);
  const out = JSON.parse(r.stdout) as { valid: boolean; diagnostics: Record<string, unknown>[] };
  assert.equal(out.valid, false);
  assert.deepEqual(out.diagnostics[1], {
    file,
    line: 8,
    column: 11,
    endLine: 8,
    endColumn: 17,
    severity: 'error',
    code: 'unknown-step',
    message: 'unknown step type `comand`',
    suggestion: 'did you mean `command`?',
  });
  writePipeline(dir, 'ok.yaml', VALID);
  const ok = moe(dir, 'validate', 'ok.yaml', '--json');
  assert.equal(ok.code, 0);
  assert.deepEqual(JSON.parse(ok.stdout), { valid: true, diagnostics: [] });
});

test('moe validate: user mistakes on the command line are diagnostics too', () => {
  const dir = tempDir();
  writePipeline(dir, 'p.yaml', VALID);
  const missing = moe(dir, 'validate', 'nope.yaml');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: .*nope\.yaml: no such file\n/);
  const badParam = moe(dir, 'validate', 'p.yaml', '--param', 'strength=lots', '--param', 'strenght=1');
  assert.equal(badParam.code, 2);
  assert.equal(
    badParam.stderr,
    'error: --param strenght: the pipeline has no parameter `strenght`\n  help: did you mean `strength`?\n\n' +
      'error: --param strength=lots: expected a number (the default is 0.35), got `lots`\n' +
      '  note: p.yaml:4:3: `strength` is declared here\n 4 |   strength: 0.35\n   |   ^~~~~~~~\n\n2 errors\n',
  );
  for (const r of [missing, badParam]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('moe graph prints Mermaid, DOT and JSON', () => {
  const dir = tempDir();
  writePipeline(dir, 'p.yaml', VALID);
  const mermaid = moe(dir, 'graph', 'p.yaml');
  assert.equal(mermaid.code, 0, mermaid.stderr);
  assert.equal(
    mermaid.stdout,
    'flowchart TD\n  n0["prepare<br/><small>command</small>"]\n  n1["train<br/><small>command</small>"]\n  n0 --> n1\n',
  );
  const dot = moe(dir, 'graph', 'p.yaml', '--format', 'dot');
  assert.equal(
    dot.stdout,
    'digraph "demo" {\n  rankdir=LR;\n  node [shape=box];\n  "prepare" [label="prepare\\ncommand"];\n' +
      '  "train" [label="train\\ncommand"];\n  "prepare" -> "train";\n}\n',
  );
  const json = moe(dir, 'graph', 'p.yaml', '--json');
  assert.deepEqual(JSON.parse(json.stdout), {
    nodes: [
      { id: 'prepare', step: 'command', needs: [] },
      { id: 'train', step: 'command', needs: ['prepare'] },
    ],
    order: ['prepare', 'train'],
  });
  writePipeline(dir, 'bad.yaml', INVALID);
  const bad = moe(dir, 'graph', 'bad.yaml');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^bad\.yaml:6:5: error: unknown key `stpe`/);
});
