// Expressions: parsing, static checks and evaluation, through the same path a pipeline uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkExpression } from '../../src/pipeline/expr/check.js';
import type { CheckScope } from '../../src/pipeline/expr/check.js';
import { evaluate } from '../../src/pipeline/expr/evaluate.js';
import { parseExpression } from '../../src/pipeline/expr/parser.js';
import { SourceFile } from '../../src/pipeline/source.js';
import type { Expr, ParamValue, ResolveContext } from '../../src/pipeline/types.js';

const file = new SourceFile('/x/expr', 'x'.repeat(200));
const params = new Map<string, ParamValue>([
  ['strength', 0.35],
  ['name', 'tiny'],
  ['fast', true],
  ['steps', 40],
]);
const scope: CheckScope = {
  params,
  nodeIds: ['prepare', 'train-base', 'self'],
  hasNode: (id) => ['prepare', 'train-base', 'self'].includes(id),
  outputsOf: (id) => (id === 'prepare' ? ['data'] : id === 'train-base' ? ['model'] : undefined),
  nodeRange: () => undefined,
  self: 'self',
};
const ctx: ResolveContext = {
  params,
  env: (name) => (name === 'HOME' ? '/home/me' : undefined),
  output: (node, name) => `/ws/${node}/${name}`,
};

function parse(text: string): Expr {
  const r = parseExpression(text, (s, e) => file.range(s, e));
  if ('error' in r) throw new Error(r.error.message);
  return r.expr;
}

function run(text: string): unknown {
  const expr = parse(text);
  const checked = checkExpression(expr, scope);
  if (checked.diagnostics.length > 0) return { check: checked.diagnostics.map((d) => d.message) };
  const r = evaluate(expr, ctx, { envRead: new Set() });
  return 'error' in r ? { error: r.error.message } : r.value;
}

function syntaxError(text: string): string {
  const r = parseExpression(text, (s, e) => file.range(s, e));
  assert.ok('error' in r, `expected a syntax error for ${text}`);
  return `${r.error.range.start.column}: ${r.error.message}`;
}

test('arithmetic, precedence and parentheses', () => {
  assert.equal(run('1 + 2 * 3'), 7);
  assert.equal(run('(1 + 2) * 3'), 9);
  assert.equal(run('10 - 4 - 3'), 3);
  assert.equal(run('12 / 4 / 3'), 1);
  assert.equal(run('-2 * -3'), 6);
  assert.equal(run('1 - params.strength'), 0.65);
  assert.equal(run('1.5e3 + .5'), 1500.5);
});

test('comparisons and logic', () => {
  assert.equal(run('params.steps >= 40 && params.fast'), true);
  assert.equal(run('!params.fast || params.strength < 0.3'), false);
  assert.equal(run("params.name == 'tiny'"), true);
  assert.equal(run("params.name != 'tiny'"), false);
  assert.equal(run("'a' < 'b'"), true);
  assert.equal(run('1 + 1 == 2 && 3 > 2 || false'), true);
});

test('strings: single or double quotes, doubled to escape; + joins', () => {
  assert.equal(run("'it''s'"), "it's");
  assert.equal(run('"say ""hi"""'), 'say "hi"');
  assert.equal(run("params.name + '-v2'"), 'tiny-v2');
});

test('functions', () => {
  assert.equal(run('min(3, 1, 2)'), 1);
  assert.equal(run('max(params.steps, 50)'), 50);
  assert.equal(run('round(2.5)'), 3);
  assert.equal(run('round(-2.5)'), -3);
  assert.equal(run('round(1 - params.strength, 1)'), 0.7);
  assert.equal(run("format('{0}-{1}', params.name, params.steps)"), 'tiny-40');
  assert.equal(run("format('{{{0}}} {0}', 0.1 + 0.2)"), '{0.3} 0.3');
  assert.deepEqual(run('round(1.5, 0.5)'), {
    error: 'round: digits must be a whole number from 0 to 15, got 0.5',
  });
});

test('references: params, node outputs (ids with dashes), env', () => {
  assert.equal(run('nodes.prepare.outputs.data'), '/ws/prepare/data');
  assert.equal(run('nodes.train-base.outputs.model'), '/ws/train-base/model');
  assert.equal(run('env.HOME'), '/home/me');
  assert.deepEqual(run('env.NOPE'), { error: 'environment variable `NOPE` is not set' });
  const checked = checkExpression(
    parse('nodes.prepare.outputs.data + nodes.train-base.outputs.model'),
    scope,
  );
  assert.deepEqual([...checked.nodes].sort(), ['prepare', 'train-base']);
});

test('`params.x-1` subtracts; `params.a-b` names a parameter with a dash', () => {
  assert.equal(run('params.steps-1'), 39);
  assert.deepEqual(run('params.steps-x'), { check: ['unknown parameter `steps-x`'] });
});

test('static type errors', () => {
  assert.deepEqual(run('params.name - 1'), { check: ['`-` needs two numbers, got a string and a number'] });
  assert.deepEqual(run('params.fast + 1'), {
    check: [
      '`+` adds two numbers or joins two strings, got a boolean and a number (use format() to build text)',
    ],
  });
  assert.deepEqual(run("1 == '1'"), {
    check: ['`==` compares values of the same type, got a number and a string'],
  });
  assert.deepEqual(run('!1'), { check: ['`!` needs a boolean, got a number'] });
  assert.deepEqual(run("-'a'"), { check: ['`-` needs a number, got a string'] });
  assert.deepEqual(run("min('a')"), { check: ['argument 1 of `min` must be a number, got a string'] });
  assert.deepEqual(run('round(1, 2, 3)'), {
    check: ['`round` takes 1 to 2 arguments, got 3: round(number, digits?)'],
  });
  assert.deepEqual(run("format('{1}', 1)"), {
    check: ['format: `{1}` refers to a value that is not given (1 given)'],
  });
  assert.deepEqual(run("format('{', 1)"), {
    check: ['format: a lone `{` in the pattern (write `{{` for a brace)'],
  });
});

test('unknown references with suggestions', () => {
  const diag = (text: string) =>
    checkExpression(parse(text), scope).diagnostics.map((d) => [d.message, d.suggestion]);
  assert.deepEqual(diag('params.strenght'), [['unknown parameter `strenght`', 'did you mean `strength`?']]);
  assert.deepEqual(diag('strength'), [['unknown name `strength`', 'did you mean `params.strength`?']]);
  assert.deepEqual(diag('param.x'), [['unknown name `param.x`', 'did you mean `params`?']]);
  assert.deepEqual(diag('nodes.prepar.outputs.data'), [['unknown node `prepar`', 'did you mean `prepare`?']]);
  assert.deepEqual(diag('nodes.prepare.outputs.dat'), [
    ['node `prepare` has no output `dat` (it declares `data`)', 'did you mean `data`?'],
  ]);
  assert.deepEqual(diag('nodes.prepare.output.data'), [
    ['`nodes.prepare.output.data`: write `nodes.<id>.outputs.<name>`', undefined],
  ]);
  assert.deepEqual(diag('nodes.self.outputs.x'), [['node `self` cannot read its own outputs', undefined]]);
  assert.deepEqual(diag('mni(1)'), [['unknown function `mni`', 'did you mean `min`?']]);
});

test('no way to JavaScript internals: prototype names are unknown names', () => {
  for (const text of [
    'constructor',
    '__proto__',
    'toString',
    'params.constructor',
    'params.__proto__',
    'params.hasOwnProperty',
    'env.__proto__.x',
  ]) {
    const checked = checkExpression(parse(text), scope);
    assert.equal(checked.diagnostics.length, 1, text);
    // Even unchecked, evaluation finds nothing behind these names.
    const r = evaluate(parse(text), ctx, { envRead: new Set() });
    assert.ok('error' in r, text);
  }
  assert.deepEqual(run('constructor()'), { check: ['unknown function `constructor`'] });
});

test('run-time errors: division by zero, overflow', () => {
  assert.deepEqual(run('1 / (params.steps - 40)'), { error: 'division by zero' });
  assert.deepEqual(run('1e308 * 10'), { error: 'the result is not a finite number (Infinity)' });
});

test('syntax errors point at the column', () => {
  assert.equal(syntaxError('1 +'), '4: the expression ends too early');
  assert.equal(syntaxError('a = 1'), '3: unexpected character `=` (use `==` to compare)');
  assert.equal(syntaxError('a & b'), '3: unexpected character `&` (use `&&`)');
  assert.equal(syntaxError("'open"), '1: unterminated string');
  assert.equal(syntaxError('(1 + 2'), '7: expected a closing `)`, got `the end`');
  assert.equal(syntaxError('1 2'), '3: unexpected `2` after the end of the expression');
  assert.equal(syntaxError('params.'), '8: expected a name after `.`, got `the end`');
  assert.equal(syntaxError('12abc'), '1: malformed number `12a`');
  assert.equal(syntaxError(''), '1: empty expression');
  assert.equal(syntaxError('max(1,)'), '7: expected a value, got `)`');
});

test('short-circuit: the right side is not evaluated when the left decides', () => {
  const expr = parse("params.fast || env.NOPE == 'x'");
  const state = { envRead: new Set<string>() };
  assert.deepEqual(evaluate(expr, ctx, state), { value: true });
  assert.deepEqual([...state.envRead], []);
});

test('a failing lookup of the caller is a diagnostic at the reference', () => {
  const failing: ResolveContext = {
    ...ctx,
    output: () => {
      throw new Error('node `prepare` has not run');
    },
  };
  const r = evaluate(parse('nodes.prepare.outputs.data'), failing, { envRead: new Set() });
  assert.deepEqual(
    'error' in r ? r.error.message : r,
    'cannot read `nodes.prepare.outputs.data`: node `prepare` has not run',
  );
});
