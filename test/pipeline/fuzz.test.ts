// Randomly damaged pipelines (seeded, so reproducible): every outcome is a pipeline or diagnostics with a
// place, never an exception, and resolving a valid result never throws either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveWith } from '../../src/pipeline/resolve.js';
import { load } from './fixtures.js';

const base = `version: 1
name: example
params:
  strength: 0.35
  label: run
nodes:
  prepare:
    step: command
    with:
      run: "python prep.py --out $MOE_OUT/data \${{ format('{0}', params.label) }}"
      inputs: [prep.py, data/raw]
      outputs: { data: data }
  train:
    step: train.expert
    needs: [prepare]
    with:
      role: base
      steps: \${{ round(params.strength * 100) }}
      data: "\${{ nodes.prepare.outputs.data }}"
    resources: { cpu: 1.5, gpu: 1, memory: 4GB }
    retry: { limit: 2, backoff: 5s }
    timeout: 1h30m
  a: &x { step: command, with: { run: 'echo "\${{ env.HOME }}" $(cat \${{ nodes.train.outputs.model }})' } }
  b: { <<: *x, needs: [a] }
`;
/** A small linear congruential generator: the same seed gives the same damage on every machine. */
function random(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

const alphabet = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ' ',
  '\n',
  '$',
  '"',
  "'",
  '-',
  '&',
  '*',
  '#',
  '!',
  '|',
  '>',
  '(',
  ')',
  '.',
  'a',
  '1',
  '\\',
  '\t',
  ',',
  '<<',
  '${{',
  '}}',
];

function damage(text: string, rand: () => number): string {
  let t = text;
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const pos = Math.floor(rand() * t.length);
    const r = rand();
    if (r < 0.4) t = t.slice(0, pos) + t.slice(pos + 1 + Math.floor(rand() * 5));
    else if (r < 0.8)
      t = t.slice(0, pos) + (alphabet[Math.floor(rand() * alphabet.length)] ?? '') + t.slice(pos);
    else {
      const q = Math.floor(rand() * t.length);
      t = t.slice(0, pos) + t.slice(q, q + 10) + t.slice(pos);
    }
  }
  return t;
}

test('the undamaged pipeline is valid and resolves', () => {
  const r = load(base);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.error.diagnostics));
});

test('damaged pipelines give diagnostics, never exceptions', () => {
  const rand = random(20261128);
  let valid = 0;
  for (let i = 0; i < 400; i++) {
    const text = damage(base, rand);
    const r = load(text);
    if (!r.ok) {
      assert.ok(r.error.diagnostics.length > 0);
      for (const d of r.error.diagnostics) {
        assert.ok(d.message !== '', text);
        if (d.range) assert.ok(d.range.start.line >= 1 && d.range.start.column >= 1, text);
      }
      continue;
    }
    valid++;
    for (const node of r.value.pipeline.nodes.values()) {
      const ctx = { params: r.value.pipeline.params, env: () => '/home', output: () => '/out' };
      assert.doesNotThrow(() => resolveWith(node.with, ctx, { shellFields: new Set(['run']) }), text);
    }
  }
  // Some damage is harmless (inside a string, a comment): both outcomes are exercised.
  assert.ok(valid > 0 && valid < 400, `${valid} of 400 stayed valid`);
});
