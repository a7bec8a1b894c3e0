// A corpus of broken pipelines, each with the exact diagnostics a user sees (file:line:col, message,
// suggestion), in the order they are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problems } from './fixtures.js';

interface Case {
  readonly text: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly expected: readonly string[];
}

const CASES: Record<string, Case> = {
  'yaml syntax error': {
    text: `version: 1
nodes:
  a:
    step: command
    with: { run: "echo hi"
`,
    expected: [
      'p.yaml:6:1: error: flow map in block collection must be sufficiently indented and end with a }',
    ],
  },
  'unquoted expression in a flow map (one error, not a cascade)': {
    text: `version: 1
nodes:
  a: { step: command, with: { run: \${{ params.x }} } }
  b:
    step: command
`,
    expected: [
      'p.yaml:3:37: error: unexpected flow-map-start at node end [help: put values that contain `${{ }}` in quotes inside `{ }` or `[ ]`: `run: "echo ${{ params.x }}"`]',
    ],
  },
  'tab indentation': {
    text: `version: 1
nodes:
\ta:
    step: command
`,
    expected: ['p.yaml:3:1: error: tabs are not allowed as indentation'],
  },
  'unknown key with suggestion': {
    text: `version: 1
nodes:
  prepare:
    stpe: command
    step: command
  train:
    step: command
    neds: [prepare]
`,
    expected: [
      'p.yaml:4:5: error: unknown key `stpe` in `nodes.prepare` [help: did you mean `step`?]',
      'p.yaml:8:5: error: unknown key `neds` in `nodes.train` [help: did you mean `needs`?]',
    ],
  },
  'unknown top-level key': {
    text: `version: 1
node:
  a: { step: command }
`,
    expected: ['p.yaml:2:1: error: unknown key `node` [help: did you mean `nodes`?]'],
  },
  'expressions outside `with` (only `with` is evaluated)': {
    text: `version: 1
params: { t: 10s, g: 1 }
nodes:
  a:
    step: command
    timeout: \${{ params.t }}
    resources: { gpu: "\${{ params.g }}", memory: "\${{ params.g }}GB" }
    with: { run: "true" }
`,
    expected: [
      "p.yaml:6:14: error: `nodes.a.timeout` holds a `${{ }}` expression, but expressions are evaluated only in a node's `with` [help: write the value itself here]",
      "p.yaml:7:23: error: `nodes.a.resources.gpu` holds a `${{ }}` expression, but expressions are evaluated only in a node's `with` [help: write the value itself here]",
      "p.yaml:7:50: error: `nodes.a.resources.memory` holds a `${{ }}` expression, but expressions are evaluated only in a node's `with` [help: write the value itself here]",
    ],
  },
  'unknown step': {
    text: `version: 1
nodes:
  a:
    step: comand
  b:
    step: frobnicate
`,
    expected: [
      'p.yaml:4:11: error: unknown step type `comand` [help: did you mean `command`?]',
      'p.yaml:6:11: error: unknown step type `frobnicate` [help: step types: command, train.expert]',
    ],
  },
  'bad with': {
    text: `version: 1
nodes:
  base:
    step: train.expert
    with:
      role: bse
      steps: -3
      strength: "high"
      lr: 0.1
  refiner:
    step: train.expert
    with: { role: refiner }
`,
    expected: [
      'p.yaml:6:13: error: `nodes.base.with.role` must be one of `base`, `refiner`, got `bse` [help: did you mean `base`?]',
      'p.yaml:7:14: error: `nodes.base.with.steps` must be >= 1, got `-3`',
      'p.yaml:8:17: error: `nodes.base.with.strength` must be a number, got the string `high`',
      'p.yaml:9:7: error: unknown key `lr` in `nodes.base.with` [help: allowed keys: role, steps, strength, prediction_type, zero_snr, data]',
      'p.yaml:12:11: error: `nodes.refiner.with` is missing `steps`',
    ],
  },
  'dangling reference': {
    text: `version: 1
nodes:
  prepare:
    step: command
    with: { run: "true", outputs: { data: data } }
  train:
    step: command
    needs: [prepair]
    with:
      run: "train --data \${{ nodes.prepare.outputs.dta }} --model \${{ nodes.prep.outputs.data }}"
`,
    expected: [
      'p.yaml:8:13: error: node `train` needs `prepair`, which is not a node of this pipeline [help: did you mean `prepare`?]',
      'p.yaml:10:30: error: node `prepare` has no output `dta` (it declares `data`) [help: did you mean `data`?]',
      'p.yaml:10:71: error: unknown node `prep`',
    ],
  },
  cycle: {
    text: `version: 1
nodes:
  a:
    step: command
    needs: [c]
  b:
    step: command
    with:
      run: "cat \${{ nodes.a.outputs.x }}"
  c:
    step: command
    needs: [b]
    with: { outputs: { x: x } }
  d:
    step: command
    needs: [d]
`,
    expected: [
      'p.yaml:3:3: error: cycle: a → b → c → a [help: remove one of these dependencies]',
      'p.yaml:9:21: error: node `a` has no output `x` (it declares none)',
      'p.yaml:16:13: error: node `d` needs itself',
    ],
  },
  'duplicate key': {
    text: `version: 1
nodes:
  a:
    step: command
    with:
      run: "echo 1"
      run: "echo 2"
  a:
    step: command
`,
    expected: ['p.yaml:7:7: error: duplicate key `run`', 'p.yaml:8:3: error: duplicate key `a`'],
  },
  'type error in expression': {
    text: `version: 1
params:
  strength: 0.35
  name: tiny
  fast: true
nodes:
  a:
    step: command
    with:
      run: "x \${{ params.name - params.strength }} \${{ !params.strength }} \${{ params.fast + 1 }}"
  b:
    step: train.expert
    with:
      role: base
      steps: \${{ params.name }}
      strength: \${{ 1 - params.strength }}
      zero_snr: \${{ params.fast && params.strength > 0.5 }}
`,
    expected: [
      'p.yaml:10:19: error: `-` needs two numbers, got a string and a number',
      'p.yaml:10:56: error: `!` needs a boolean, got a number',
      'p.yaml:10:80: error: `+` adds two numbers or joins two strings, got a boolean and a number (use format() to build text)',
      'p.yaml:15:14: error: `nodes.b.with.steps` must be a whole number, but the expression gives a string',
    ],
  },
  'prototype names': {
    text: `version: 1
params:
  x: 1
nodes:
  a:
    step: command
    with:
      run: "\${{ constructor }} \${{ __proto__ }} \${{ params.__proto__ }} \${{ params.constructor.name }} \${{ toString() }} \${{ env.x.y }}"
`,
    expected: [
      'p.yaml:8:17: error: unknown name `constructor` [help: expressions read `params.<name>`, `nodes.<id>.outputs.<name>` and `env.<NAME>`]',
      'p.yaml:8:36: error: unknown name `__proto__` [help: expressions read `params.<name>`, `nodes.<id>.outputs.<name>` and `env.<NAME>`]',
      'p.yaml:8:53: error: unknown parameter `__proto__` [help: declared parameters: x]',
      'p.yaml:8:77: error: `params.constructor.name`: write `params.<name>`',
      'p.yaml:8:108: error: unknown function `toString` [help: functions: min, max, round, format]',
      'p.yaml:8:126: error: `env.x.y`: write `env.<NAME>`',
    ],
  },
  'expression syntax': {
    text: `version: 1
nodes:
  a:
    step: command
    with:
      run: "\${{ 1 + }} \${{ params.x = 1 }} \${{ 'open }} \${{ (1 + 2 }}"
      env:
        A: "\${{ format('{0}-{2}', 1, 2) }} \${{ min() }}"
        B: "unterminated \${{ 1 + 2"
`,
    expected: [
      'p.yaml:6:21: error: the expression ends too early',
      'p.yaml:6:37: error: unexpected character `=` (use `==` to compare)',
      'p.yaml:6:44: error: unterminated `${{` [help: close the expression with `}}`]',
      'p.yaml:8:24: error: format: `{2}` refers to a value that is not given (2 given)',
      'p.yaml:8:48: error: `min` takes at least 1 argument, got 0: min(number, …)',
      'p.yaml:9:26: error: unterminated `${{` [help: close the expression with `}}`]',
    ],
  },
  'path traversal': {
    text: `version: 1
nodes:
  a:
    step: command
    with:
      run: "true"
      inputs: [src/ok.py, ../../etc/passwd, /models/ssd-1b]
      outputs: { model: ../outside, abs: /tmp/x, fine: sub/dir }
`,
    // An absolute input (a model folder, a data set elsewhere) is read where it is, never written.
    expected: [
      "p.yaml:7:27: error: input `../../etc/passwd` leads outside the pipeline file's directory [help: relative inputs are read inside /work/pipelines/; write an absolute path to read from elsewhere]",
      "p.yaml:8:25: error: output `model`: `../outside` leads outside the node's output directory [help: write outputs as paths inside the node's output directory ($MOE_OUT), e.g. `model`; moe never writes elsewhere]",
      "p.yaml:8:42: error: output `abs`: `/tmp/x` is an absolute path; paths are relative to the node's output directory [help: write outputs as paths inside the node's output directory ($MOE_OUT), e.g. `model`; moe never writes elsewhere]",
    ],
  },
  // The same paths through `${{ params.x }}` are judged by their values, at the expression; `/models`
  // was refused written out and accepted through params, and the params' escapes waited for the run.
  'path traversal through params': {
    text: `version: 1
params: { up: ../../etc/passwd, model: /models/ssd-1b, out: ../outside, abs: /tmp/x, sub: sub/dir }
nodes:
  a:
    step: command
    with:
      run: "true"
      inputs: [src/ok.py, "\${{ params.up }}", "\${{ params.model }}"]
      outputs: { model: "\${{ params.out }}", abs: "\${{ params.abs }}", fine: "\${{ params.sub }}" }
`,
    expected: [
      "p.yaml:8:27: error: input `../../etc/passwd` leads outside the pipeline file's directory (from `params.up`) [help: relative inputs are read inside /work/pipelines/; write an absolute path to read from elsewhere]",
      "p.yaml:9:25: error: output `model`: `../outside` leads outside the node's output directory (from `params.out`) [help: write outputs as paths inside the node's output directory ($MOE_OUT), e.g. `model`; moe never writes elsewhere]",
      "p.yaml:9:51: error: output `abs`: `/tmp/x` is an absolute path; paths are relative to the node's output directory (from `params.abs`) [help: write outputs as paths inside the node's output directory ($MOE_OUT), e.g. `model`; moe never writes elsewhere]",
    ],
  },
  // Escapes inside an expression (`\"`, `''`, `\u00e9`) made the written text differ from the value, and
  // every error pointed at the whole string; each character now maps to where it was written.
  'expression errors inside escaped quotes': {
    text: `version: 1
params: { s: 1 }
nodes:
  a:
    step: command
    with:
      run: "echo \\"hi\\" \${{ format(\\"{0}\\", params.nope) }} done"
      argv: ['x', 'a ''b'' \${{ format(''\\u00e9 {0}'', params.s) + }}']
      env: { E: "\\U0001F600 \${{ format(\\"\\U0001F600{0}\\", params.nope) }}" }
`,
    expected: [
      'p.yaml:7:45: error: unknown parameter `nope` [help: declared parameters: s]',
      'p.yaml:8:67: error: the expression ends too early',
      'p.yaml:9:59: error: unknown parameter `nope` [help: declared parameters: s]',
    ],
  },
  // `name:` is shown as written (terminals, reports, run records): it was taken with either.
  'a name with an expression': {
    text: 'version: 1\nname: "sweep ${{ params.s }}"\nparams: { s: 1 }\nnodes:\n  a: { step: command }\n',
    expected: [
      "p.yaml:2:7: error: `name` holds a `${{ }}` expression, but expressions are evaluated only in a node's `with` [help: write the value itself here]",
    ],
  },
  'a name with a control character': {
    text: 'version: 1\nname: "moe\\0run"\nnodes:\n  a: { step: command }\n',
    expected: [
      'p.yaml:2:7: error: `name` must be text on one line, without control characters (a NUL, a tab) or `${{ }}`, got `moe\\u0000run`',
    ],
  },
  'schema shapes': {
    text: `version: 2
name: ""
params:
  bad name: 1
  list: [1, 2]
plugins: [x, x]
executor: kubernetes
nodes:
  a:
    step: command
    resources: { cpu: 0, gpu: 1.5, memory: 4 gigs }
    retry: { limit: -1, backoff: soon }
    timeout: 2 hours
    needs: [b, b]
  b:
    with: {}
`,
    expected: [
      'p.yaml:1:10: error: `version` must be `1`, got `2`',
      'p.yaml:2:7: error: `name` must not be empty',
      'p.yaml:4:3: error: `bad name` is not a valid name in `params`: use letters, digits, `_` and `-`, starting with a letter or `_`',
      'p.yaml:5:9: error: `params.list` must be a string, a number or a boolean, got a list',
      'p.yaml:6:14: error: `plugins` lists `x` twice',
      'p.yaml:7:11: error: `executor` must be one of `local`, `slurm`, got `kubernetes`',
      'p.yaml:11:23: error: `nodes.a.resources.cpu` must be > 0, got `0`',
      'p.yaml:11:31: error: `nodes.a.resources.gpu` must be a whole number, got the number `1.5`',
      'p.yaml:11:44: error: `nodes.a.resources.memory` must be memory such as 512MB, 4GB or 2GiB, got `4 gigs`',
      'p.yaml:12:21: error: `nodes.a.retry.limit` must be >= 0, got `-1`',
      'p.yaml:12:34: error: `nodes.a.retry.backoff` must be a duration such as 90s, 30m, 2h or 1h30m, got `soon`',
      'p.yaml:13:14: error: `nodes.a.timeout` must be a duration above zero such as 90s, 30m, 2h or 1h30m, got `2 hours`',
      'p.yaml:14:16: error: `nodes.a.needs` lists `b` twice',
      'p.yaml:15:3: error: `nodes.b` is missing `step`',
    ],
  },
  'a timeout of zero (every attempt would time out at once)': {
    text: `version: 1
nodes:
  a:
    step: command
    with: { run: 'true' }
    timeout: 0s
  b:
    step: command
    with: { run: 'true' }
    timeout: 0h0m
`,
    expected: [
      'p.yaml:6:14: error: `nodes.a.timeout` must be a duration above zero such as 90s, 30m, 2h or 1h30m, got `0s`',
      'p.yaml:10:14: error: `nodes.b.timeout` must be a duration above zero such as 90s, 30m, 2h or 1h30m, got `0h0m`',
    ],
  },
  'a time written as a bare number (its unit left out)': {
    text: `version: 1
nodes:
  a:
    step: command
    with: { run: 'true' }
    timeout: 30
    retry: { limit: 1, backoff: 5 }
`,
    expected: [
      'p.yaml:6:14: error: `nodes.a.timeout` must be a duration above zero such as 90s, 30m, 2h or 1h30m, got the number `30`',
      'p.yaml:7:33: error: `nodes.a.retry.backoff` must be a duration such as 90s, 30m, 2h or 1h30m, got the number `5`',
    ],
  },
  'shell contexts': {
    text: `version: 1
params:
  x: hi
nodes:
  a:
    step: command
    with:
      run: 'echo \`\${{ params.x }}\` \\\${{ params.x }} \${v:-\${{ params.x }}} $(( \${{ params.x }} + 1 )) "$(echo \${{ params.x }})"'
  b:
    step: command
    with:
      run: |
        cat <<EOF
        \${{ params.x }}
        EOF
`,
    expected: [
      'p.yaml:8:23: error: `${{ }}` inside backquotes (use `$( )`) cannot be quoted safely',
      'p.yaml:8:41: error: `${{ }}` right after a backslash cannot be quoted safely',
      'p.yaml:8:62: error: `${{ }}` inside `${…}` cannot be quoted safely',
      'p.yaml:8:83: error: `${{ }}` inside `$((…))` cannot be quoted safely',
      'p.yaml:14:13: error: `${{ }}` after a here-document (`<<`) cannot be quoted safely',
    ],
  },
  'not a map': {
    text: `- a
- b
`,
    expected: ['p.yaml:1:1: error: the pipeline must be a map, got a list'],
  },
  empty: {
    text: ``,
    expected: ['p.yaml:1:1: error: the file is empty'],
  },
  'params override': {
    text: `version: 1
params:
  strength: 0.35
nodes:
  a: { step: command }
`,
    params: { strength: 'high', strenght: '1' },
    expected: [
      'error: --param strenght: the pipeline has no parameter `strenght` [help: did you mean `strength`?]',
      'error: --param strength=high: expected a number (the default is 0.35), got `high`',
    ],
  },
};

for (const [name, c] of Object.entries(CASES)) {
  test(`bad pipeline: ${name}`, () => {
    assert.deepEqual(problems(c.text, c.params ? { params: c.params } : {}), c.expected);
  });
}
