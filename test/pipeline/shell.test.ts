// Values inserted into `run:` are escaped for the shell context they land in: the command really runs under
// `sh -c` with hostile values, which must come out as plain text and never run anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveWith } from '../../src/pipeline/resolve.js';
import { shellContexts, shellEscape, shellQuote } from '../../src/pipeline/shell.js';
import type { Pipeline } from '../../src/pipeline/types.js';
import { nodeId } from '../../src/util/brand.js';
import { loaded, tempDir } from './fixtures.js';

/** `sh` is what the command step runs; bash (sh on some systems) has more syntax to get wrong. */
const SHELLS = ['/bin/sh', ...(existsSync('/bin/bash') ? ['/bin/bash'] : [])];

const HOSTILE = [
  "'; touch PWNED; '",
  '"; touch PWNED; "',
  '$(touch PWNED)',
  '`touch PWNED`',
  '\\',
  "\\'; touch PWNED #",
  'a\nb; touch PWNED',
  '\ntouch PWNED\n',
  "'\"'\"'",
  '$HOME ${HOME} $((1+1))',
  '*',
  ' two  spaces ',
  '',
  ') ; touch PWNED ; (',
  '} ; touch PWNED ; {',
  '# not a comment',
  "$'\\'' ; touch PWNED ; '",
  '!! {a,b} ~root',
];

/** Each template, with the value in its context, and what the command must print for value `v`. */
const TEMPLATES: readonly { run: string; expect: (v: string) => string }[] = [
  { run: "printf '%s|' ${{ params.v }}", expect: (v) => `${v}|` },
  { run: "printf '%s|' x${{ params.v }}y", expect: (v) => `x${v}y|` },
  { run: "printf '%s|' 'in single ${{ params.v }} quotes'", expect: (v) => `in single ${v} quotes|` },
  { run: 'printf \'%s|\' "in double ${{ params.v }} quotes"', expect: (v) => `in double ${v} quotes|` },
  { run: "printf '%s|' \"$(printf '%s' ${{ params.v }})\"", expect: (v) => `${v.replace(/\n+$/, '')}|` },
  { run: 'printf \'%s|\' "$(printf \'%s\' "${{ params.v }}")"', expect: (v) => `${v.replace(/\n+$/, '')}|` },
  { run: "printf '%s|' done # a comment with ${{ params.v }} inside", expect: () => 'done|' },
];

function pipelineWith(run: string): string {
  return `version: 1\nparams:\n  v: ""\nnodes:\n  a:\n    step: command\n    with:\n      run: ${JSON.stringify(run)}\n`;
}

/** Separates the commands' outputs in one shell run; no hostile value contains it. */
const SEPARATOR = '\x1e';

/** Node a's `with`, resolved with the pipeline's params, the given environment and shell fields. */
function resolveNodeA(
  p: Pipeline,
  env: (name: string) => string | undefined,
  shellFields: ReadonlySet<string>,
): ReturnType<typeof resolveWith> {
  const node = p.nodes.get(nodeId('a'));
  assert.ok(node);
  return resolveWith(node.with, { params: p.params, env, output: () => '' }, { shellFields });
}

for (const [t, template] of TEMPLATES.entries()) {
  test(`shell context ${t + 1}: ${template.run}`, () => {
    const dir = tempDir();
    const commands = HOSTILE.map((value) => {
      const p = loaded(pipelineWith(template.run), { params: { v: value } }).pipeline;
      const resolved = resolveNodeA(p, () => undefined, new Set(['run']));
      assert.ok(resolved.ok, JSON.stringify(value));
      return (resolved.value.value as { run: string }).run;
    });
    // One shell run per shell for all values keeps the test cheap; each command is on its own lines.
    const script = commands.map((c) => `${c}\nprintf '${SEPARATOR}'`).join('\n');
    for (const shell of SHELLS) {
      const outputs = execFileSync(shell, ['-c', script], { cwd: dir, encoding: 'utf8' }).split(SEPARATOR);
      HOSTILE.forEach((value, k) => {
        const what = `${shell}: value ${JSON.stringify(value)} gave command ${commands[k]}`;
        assert.equal(outputs[k], template.expect(value), what);
      });
      assert.equal(existsSync(join(dir, 'PWNED')), false, `${shell}: a value ran a command`);
    }
  });
}

test('outside shell fields values are inserted as plain text; one whole expression keeps its type', () => {
  const p = loaded(
    `version: 1\nparams:\n  n: 3\nnodes:\n  a:\n    step: command\n    with:\n      run: "echo \${{ params.n }}"\n      env: { N: "n=\${{ params.n }}" }\n`,
  ).pipeline;
  const r = resolveNodeA(p, () => undefined, new Set(['run']));
  assert.deepEqual(r, { ok: true, value: { value: { run: "echo '3'", env: { N: 'n=3' } }, envRead: [] } });
  const typed = loaded(
    `version: 1\nparams:\n  n: 3\nnodes:\n  a:\n    step: train.expert\n    with:\n      role: base\n      steps: "\${{ params.n * 2 }}"\n      data: "n=\${{ params.n }}"\n`,
  ).pipeline;
  assert.deepEqual(
    resolveNodeA(typed, () => undefined, new Set()),
    {
      ok: true,
      value: { value: { role: 'base', steps: 6, data: 'n=3' }, envRead: [] },
    },
  );
});

test('resolveWith reports every run-time problem with its position and records env reads', () => {
  const p = loaded(
    'version: 1\nnodes:\n  a:\n    step: command\n    with:\n      run: "${{ env.MISSING }} ${{ env.HOME }} ${{ 1 / 0 }}"\n',
  ).pipeline;
  const r = resolveNodeA(p, (n) => (n === 'HOME' ? '/h' : undefined), new Set());
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.deepEqual(
      r.error.map((d) => `${d.range?.start.line}:${d.range?.start.column}: ${d.message}`),
      ['6:17: environment variable `MISSING` is not set', '6:52: division by zero'],
    );
  }
});

test('shellQuote and shellEscape', () => {
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellEscape('a"$`\\b', 'double'), 'a\\"\\$\\`\\\\b');
  assert.equal(shellEscape("a'b", 'single'), "a'\\''b");
  assert.equal(shellEscape('a\nb', 'comment'), "'a b'");
});

test('shellContexts finds the quoting context of each insertion point', () => {
  assert.deepEqual(shellContexts(['echo ', " '", '\' "', '" # ', '']).contexts, [
    'unquoted',
    'single',
    'double',
    'comment',
  ]);
  assert.deepEqual(shellContexts(['echo a#', '']).contexts, ['unquoted']);
  assert.deepEqual(shellContexts(['echo "$(x ', ')"']).contexts, ['unquoted']);
  assert.deepEqual(
    shellContexts(['a `', '` \\', ' ${x:-', '} $((', ")) $'", "'"]).errors.map((e) => e.index),
    [0, 1, 2, 3, 4],
  );
});

test('shellContexts answers the same literals the same way each time, and its answer cannot be changed', () => {
  const literals = ['cat ', " '", '\' > "$MOE_OUT/x" # ', ''];
  const first = shellContexts(literals);
  assert.deepEqual(first.contexts, ['unquoted', 'single', 'comment']);
  assert.throws(() => (first.contexts as string[]).push('double'));
  assert.throws(() => ((first.contexts as string[])[0] = 'double'));
  const again = shellContexts([...literals]);
  assert.deepEqual(again.contexts, ['unquoted', 'single', 'comment']);
  assert.deepEqual(again.errors, []);
  const refused = shellContexts(['echo `', '`']);
  assert.deepEqual(
    refused.errors.map((e) => e.index),
    [0],
  );
  assert.throws(() => ((refused.errors[0] as { message: string }).message = 'fine'));
  assert.match(shellContexts(['echo `', '`']).errors[0]?.message ?? '', /backquotes/);
});
