// `sweep:` in the format: checked with file:line:col, `--sweep` flags over it, and the variants as a
// GitHub Actions matrix makes them (cartesian product, exclude, include).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySweepFlags, variantsOf } from '../../src/pipeline/sweep.js';
import type { Sweep } from '../../src/pipeline/sweep.js';
import { loaded, problems } from './fixtures.js';

const PIPELINE = `version: 1
params:
  strength: 0.35
  lr: 0.001
  sampler: unipc
  zero: true
sweep:
  strength: [0.25, 0.35, 0.5]
  lr: [0.001, 0.002]
  exclude:
    - { strength: 0.5, lr: 0.002 }
  include:
    - { strength: 0.25, sampler: ddim }
    - { strength: 0.75, lr: 0.003 }
nodes:
  a:
    step: command
    with: { run: "echo \${{ params.strength }} \${{ params.lr }}" }
`;

test('the sweep is read in the order written, with exclude and include', () => {
  const sweep = loaded(PIPELINE).pipeline.sweep;
  assert.deepEqual(sweep, {
    axes: [
      ['strength', [0.25, 0.35, 0.5]],
      ['lr', [0.001, 0.002]],
    ],
    exclude: [{ strength: 0.5, lr: 0.002 }],
    include: [
      { strength: 0.25, sampler: 'ddim' },
      { strength: 0.75, lr: 0.003 },
    ],
  });
});

test('variants: the cartesian product less exclude; include extends matching variants or adds its own', () => {
  const sweep = loaded(PIPELINE).pipeline.sweep as Sweep;
  assert.deepEqual(variantsOf(sweep), [
    { strength: 0.25, lr: 0.001, sampler: 'ddim' },
    { strength: 0.25, lr: 0.002, sampler: 'ddim' },
    { strength: 0.35, lr: 0.001 },
    { strength: 0.35, lr: 0.002 },
    { strength: 0.5, lr: 0.001 },
    { strength: 0.75, lr: 0.003 },
  ]);
});

test('every swept name must be a parameter and every value of its type, each at its line and column', () => {
  const text = PIPELINE.replace(
    '  lr: [0.001, 0.002]\n',
    "  lr: [0.001, '0.002']\n  strenght: [1]\n  zero: [true, true]\n",
  ).replace('{ strength: 0.5, lr: 0.002 }', '{ strength: 0.5, sampler: ddim }');
  assert.deepEqual(problems(text), [
    'p.yaml:9:15: error: sweep: lr must be a number like its default (0.001), got "0.002"',
    'p.yaml:10:3: error: sweep: `strenght` is not a parameter of this pipeline [help: did you mean `strength`?]',
    'p.yaml:11:16: error: sweep: zero lists true twice [help: list each value once]',
    'p.yaml:13:24: error: sweep: exclude names `sampler`, which is not swept [help: swept parameters: strength, lr, zero]',
  ]);
});

test('a parameter fixed with --param leaves the sweep', () => {
  const sweep = loaded(PIPELINE, { params: { strength: '0.35' } }).pipeline.sweep as Sweep;
  assert.deepEqual(
    sweep.axes.map(([n]) => n),
    ['lr'],
  );
  assert.deepEqual(sweep.exclude, []);
});

test('--sweep replaces the file list of its parameter, adds others, and types values like the default', () => {
  const p = loaded(PIPELINE).pipeline;
  const r = applySweepFlags(p.sweep, ['strength=0.3,0.4', 'zero=false,true'], p.params);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.sweep?.axes, [
    ['strength', [0.3, 0.4]],
    ['lr', [0.001, 0.002]],
    ['zero', [false, true]],
  ]);
  const bad = applySweepFlags(undefined, ['strength=0.3,high', 'strenght=1', 'lr'], p.params);
  assert.deepEqual(bad.errors, [
    '--sweep strength=0.3,high: expected a number (the default is 0.35), got `high`',
    '--sweep strenght: the pipeline has no parameter `strenght` (did you mean `strength`?)',
    '--sweep expects name=value,value,…, got `lr`',
  ]);
});

test('objective: a node of the pipeline, min by default', () => {
  const text = PIPELINE.replace('nodes:', 'objective: { node: a, metric: loss.composed.full }\nnodes:');
  assert.deepEqual(loaded(text).pipeline.objective, { node: 'a', metric: 'loss.composed.full', goal: 'min' });
  assert.deepEqual(problems(text.replace('node: a,', 'node: b,')), [
    'p.yaml:15:20: error: objective: `b` is not a node of this pipeline [help: did you mean `a`?]',
  ]);
});
