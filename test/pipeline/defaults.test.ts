// `defaults:` per step type: shared settings written once, merged under each node, with diagnostics that
// point at the line where a value was written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loaded, problems } from './fixtures.js';

const SHARED = `version: 1
params:
  steps: 10
defaults:
  train.expert:
    with:
      steps: \${{ params.steps }}
      prediction_type: v_prediction
      zero_snr: true
    resources: { gpu: 1 }
    retry: { limit: 2 }
nodes:
  base:
    step: train.expert
    with: { role: base }
  refiner:
    step: train.expert
    with: { role: refiner, zero_snr: false }
    resources: { cpu: 2 }
  other:
    step: command
    with: { run: "true" }
`;

function withOf(text: string, id: string): Record<string, unknown> {
  const node = [...loaded(text).pipeline.nodes.values()].find((n) => n.id === id);
  assert.ok(node, id);
  assert.equal(node.with.kind, 'map');
  const out: Record<string, unknown> = {};
  if (node.with.kind === 'map')
    for (const [k, v] of node.with.entries) out[k] = v.kind === 'literal' ? v.value : v.kind;
  return out;
}

test("every node of the step type starts from its defaults; the node's own values win", () => {
  assert.deepEqual(withOf(SHARED, 'base'), {
    steps: 'interpolated',
    prediction_type: 'v_prediction',
    zero_snr: true,
    role: 'base',
  });
  assert.deepEqual(withOf(SHARED, 'refiner'), {
    steps: 'interpolated',
    prediction_type: 'v_prediction',
    zero_snr: false,
    role: 'refiner',
  });
  assert.deepEqual(withOf(SHARED, 'other'), { run: 'true' });
  const nodes = loaded(SHARED).pipeline.nodes;
  const [base, refiner, other] = [...nodes.values()];
  assert.deepEqual(base?.resources, { cpu: 1, memoryBytes: undefined, gpu: 1 });
  // `resources` merges key by key: the node's cpu on top of the shared gpu.
  assert.deepEqual(refiner?.resources, { cpu: 2, memoryBytes: undefined, gpu: 1 });
  assert.equal(base?.retry.limit, 2);
  assert.deepEqual(other?.resources, { cpu: 1, memoryBytes: undefined, gpu: 0 });
});

test('a mistake in defaults is reported once, at the line where it is written', () => {
  const text = SHARED.replace('      zero_snr: true\n', '      zero_snr: true\n      stesp: 3\n').replace(
    '${{ params.steps }}',
    '${{ params.stpes }}',
  );
  assert.deepEqual(problems(text), [
    'p.yaml:7:18: error: unknown parameter `stpes` [help: did you mean `steps`?]',
    'p.yaml:10:7: error: unknown key `stesp` in `nodes.base.with` [help: did you mean `steps`?]',
  ]);
});

test('a value a node writes over a default is checked where the node writes it', () => {
  const text = SHARED.replace('{ role: refiner, zero_snr: false }', '{ role: refiner, zero_snr: 3 }');
  assert.deepEqual(problems(text), [
    'p.yaml:18:38: error: `nodes.refiner.with.zero_snr` must be a boolean, got the number `3`',
  ]);
});

test('defaults for a step type that does not exist are an error with a suggestion', () => {
  const text = SHARED.replace('  train.expert:\n    with:', '  train.exprt:\n    with:');
  const found = problems(text);
  assert.ok(
    found.includes(
      'p.yaml:5:3: error: defaults for unknown step type `train.exprt` [help: did you mean `train.expert`?]',
    ),
    found.join('\n'),
  );
});

test('the shipped pipelines write the experts once: beyond their role, only named per-expert choices', () => {
  const root = new URL('../..', import.meta.url).pathname;
  // What an expert may set of its own; everything else (the parameterisation, the schedule, the data,
  // the optimiser) comes from `defaults`, so the two cannot drift apart. tiny.yaml gives the base its own
  // step count (a param) and timestep bias, and the refiner min-SNR-γ; SimpleTuner's refiner-only
  // validation of partially denoised dataset images is ssd1b's exception.
  const allowed: Record<string, { base: string[]; refiner: string[] }> = {
    tiny: {
      base: [
        'steps',
        'timestep_bias_strategy',
        'timestep_bias_begin',
        'timestep_bias_end',
        'timestep_bias_multiplier',
      ],
      refiner: ['snr_gamma'],
    },
    ssd1b: { base: [], refiner: ['validation_using_datasets'] },
  };
  for (const [name, expected] of Object.entries(allowed)) {
    const p = parse(readFileSync(join(root, 'pipelines', `${name}.yaml`), 'utf8')) as {
      nodes: Record<string, { step: string; with?: Record<string, unknown> }>;
    };
    const own = (id: string) => Object.keys(p.nodes[id]?.with ?? {}).filter((k) => k !== 'role');
    assert.equal(p.nodes['base']?.step, 'train.expert');
    assert.equal(p.nodes['refiner']?.step, 'train.expert');
    assert.deepEqual(own('base'), expected.base, `${name}: what the base sets of its own`);
    assert.deepEqual(own('refiner'), expected.refiner, `${name}: what the refiner sets of its own`);
  }
});
