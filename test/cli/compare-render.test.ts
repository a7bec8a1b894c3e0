// `moe compare`'s verdict when no variant has the objective's metric: unfinished variants are waited for,
// but when every variant finished the metric name itself is wrong, and the line says which ones exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Comparison } from '../../src/app/compare.js';
import { renderComparison } from '../../src/cli/render/compare.js';

const comparison = (metric: string, missing: readonly string[] = []): Comparison => ({
  pipeline: 'sw',
  file: '/p/sw.yaml',
  axes: ['lr'],
  variants: [0.1, 0.2].map((lr) => ({
    params: { lr },
    metrics: { 'score.loss': lr, 'prep.rows': 3 },
    outputs: {},
    label: `lr=${lr}`,
    missing,
  })),
  objective: { metric, goal: 'min' },
  best: null,
  shared: ['prep'],
});

const verdict = (c: Comparison): string => renderComparison(c, false).trimEnd().split('\n').at(-1) ?? '';

test('a misspelt objective metric is named as such once every variant finished', () => {
  assert.equal(
    verdict(comparison('score.los')),
    'every variant finished, but none reports score.los: did you mean `score.loss`? (objective: in the pipeline)',
  );
  assert.equal(
    verdict(comparison('score.accuracy')),
    'every variant finished, but none reports score.accuracy: it reports score.loss (objective: in the pipeline)',
  );
  assert.equal(
    verdict(comparison('train.loss')),
    'every variant finished, but none reports train.loss: `train` reports no metrics (objective: in the pipeline)',
  );
  assert.equal(verdict(comparison('score.los', ['score[lr=0.1]'])), 'no variant has score.los yet');
});
