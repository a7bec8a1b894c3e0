// The flow-matching samplers against diffusers' own output (test/fixtures/reference/diffusers-flow): every
// timestep exact to float32, every σ within 1e-6, the three sampling runs within 1e-5 relative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createScheduler } from '../../src/diffusion/index.js';
import type { Scheduler } from '../../src/diffusion/index.js';
import { referencePath } from '../fixtures/reference-data.js';
import { assertClose, assertExact, referenceModel } from './reference.js';

interface TimestepRecord {
  class: string;
  config: Record<string, unknown>;
  N: number;
  timesteps: number[];
  sigmas: number[];
}
interface Trajectory {
  class: string;
  config: Record<string, unknown>;
  N: number;
  timesteps: number[];
  samples: number[][];
}

const read = <T>(name: string): T =>
  JSON.parse(readFileSync(referencePath('diffusers-flow', name), 'utf8')) as T;
const timesteps = read<{ records: TimestepRecord[] }>('flow_timesteps.json');
const trajectories = read<{ x_T: number[]; c: number[]; trajectories: Trajectory[] }>(
  'flow_trajectories.json',
);

/** Built by diffusers' class name, as a model's scheduler_config.json names it. */
function make(className: string, config: Record<string, unknown>): Scheduler {
  const made = createScheduler(className, config);
  assert.ok(made.ok, JSON.stringify(made.ok ? '' : made.error));
  assert.deepEqual(made.value.ignoredKeys, []);
  return made.value.scheduler;
}

test(`timesteps and sigmas match diffusers in all ${timesteps.records.length} flow records`, () => {
  const kinds = new Set<string>();
  for (const r of timesteps.records) {
    const label = `${r.class} ${JSON.stringify(r.config)} N=${r.N}`;
    const s = make(r.class, r.config);
    kinds.add(s.kind);
    s.setTimesteps(r.N);
    assertExact(s.timesteps, r.timesteps.map(Math.fround), `${label} timesteps`);
    assert.ok(s.sigmas !== undefined);
    assertClose(s.sigmas, r.sigmas, `${label} sigmas`, 0, 0);
    // ≤ 1e-6 absolute is the stated bar; the values are in fact the same float32 numbers.
    s.sigmas.forEach((v, i) => assert.ok(Math.abs(v - r.sigmas[i]!) <= 1e-6, `${label} sigma ${i}`));
    assert.equal(s.numInferenceSteps, r.N);
  }
  assert.deepEqual([...kinds].sort(), ['flow_euler', 'unipc']);
});

const xT = Float32Array.from(trajectories.x_T);
const c = Float32Array.from(trajectories.c);

for (const traj of trajectories.trajectories) {
  const name = `${traj.class} ${JSON.stringify(traj.config)} N=${traj.N}`;
  test(`trajectory ${name}: every step within 1e-5 of diffusers`, () => {
    const s = make(traj.class, traj.config);
    s.setTimesteps(traj.N);
    assertExact(s.timesteps, traj.timesteps.map(Math.fround), `${name} timesteps`);
    assert.equal(s.initNoiseSigma, 1);
    let x: Float32Array = xT.map((v) => v * s.initNoiseSigma);
    traj.samples.forEach((expected, i) => {
      const t = s.timesteps[i]!;
      const xIn = s.scaleModelInput(x, t);
      assertExact(xIn, x, `${name} step ${i}: flow models take x_t unscaled`);
      x = s.step(referenceModel(xIn, t, c), t, x).prevSample;
      assertClose(x, expected, `${name} step ${i} sample`, 1e-5);
    });
  });
}

test('the short names build the same samplers as the diffusers class names', () => {
  for (const [kind, cls, config] of [
    ['flow_euler', 'FlowMatchEulerDiscreteScheduler', { shift: 3 }],
    [
      'unipc',
      'UniPCMultistepScheduler',
      { use_flow_sigmas: true, flow_shift: 5, prediction_type: 'flow_prediction' },
    ],
  ] as const) {
    const a = make(kind, config);
    const b = make(cls, config);
    a.setTimesteps(30);
    b.setTimesteps(30);
    assert.equal(a.kind, b.kind);
    assertExact(a.timesteps, b.timesteps, `${kind} timesteps`);
    assertExact(a.sigmas!, b.sigmas!, `${kind} sigmas`);
  }
});
