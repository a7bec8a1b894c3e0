import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, discreteTimestepCutoff, splitTimesteps } from '../../src/diffusion/index.js';
import type { Scheduler } from '../../src/diffusion/index.js';
import { assertClose, assertExact, f32, KIND_OF_CLASS, reference, referenceModel } from './reference.js';

interface SplitCase {
  class: string;
  timestep_spacing: string;
  steps_offset: number;
  N: number;
  split: number;
  discrete_timestep_cutoff: number;
  full_timesteps: number[];
  stage1_timesteps: number[];
  stage2_timesteps: number[];
  stage2_t_start_and_begin_index: number;
}
interface SplitRun {
  class: string;
  timestep_spacing: string;
  steps_offset: number;
  prediction_type: string;
  N: number;
  split: number;
  x_T: number[];
  x_full_final: number[];
  x_stage1_output: number[];
  x_split_final: number[];
  max_abs_diff_split_vs_full: number;
}
const data = reference<{
  splits: SplitCase[];
  split_vs_full_trajectory: SplitRun[];
  other_splits_N40: {
    class: string;
    timestep_spacing: string;
    split: number;
    cutoff: number;
    stage1_len: number;
    stage2_len: number;
    stage1_last: number;
    stage2_first: number;
  }[];
}>('sdxl_pipeline.json');
const c = Float32Array.from(reference<{ c: number[] }>('trajectories.json').c);

const SDXL = {
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  beta_end: 0.012,
  clip_sample: false,
  set_alpha_to_one: false,
};

function make(cls: string, extra: Record<string, unknown>): Scheduler {
  const made = createScheduler(KIND_OF_CLASS[cls]!, { ...SDXL, ...extra });
  assert.ok(made.ok);
  return made.value.scheduler;
}

test(`hand-off at split 0.65 matches the SDXL pipelines in all ${data.splits.length} cases (cutoff, both stages, begin index)`, () => {
  for (const c of data.splits) {
    const label = `${c.class} ${c.timestep_spacing} N=${c.N}`;
    const s = make(c.class, { timestep_spacing: c.timestep_spacing, steps_offset: c.steps_offset });
    s.setTimesteps(c.N);
    assertExact(s.timesteps, c.full_timesteps.map(f32), `${label} full`);
    const r = splitTimesteps(s.timesteps, c.split, { order: s.order });
    assert.ok(r.ok);
    assert.equal(r.value.cutoff, c.discrete_timestep_cutoff, label);
    assertExact(r.value.stage1, c.stage1_timesteps.map(f32), `${label} stage 1`);
    assertExact(r.value.stage2, c.stage2_timesteps.map(f32), `${label} stage 2`);
    assert.equal(r.value.beginIndex, c.stage2_t_start_and_begin_index, `${label} begin index`);
  }
});

test(`other splits at N=40 (${data.other_splits_N40.length} cases) give diffusers' cutoffs and stage boundaries`, () => {
  for (const c of data.other_splits_N40) {
    const label = `${c.class} ${c.timestep_spacing} split ${c.split}`;
    const s = make(c.class, { timestep_spacing: c.timestep_spacing, steps_offset: 1 });
    s.setTimesteps(40);
    const r = splitTimesteps(s.timesteps, c.split);
    assert.ok(r.ok);
    assert.equal(r.value.cutoff, c.cutoff, label);
    assert.equal(r.value.stage1.length, c.stage1_len, label);
    assert.equal(r.value.stage2.length, c.stage2_len, label);
    assert.equal(r.value.stage1[r.value.stage1.length - 1], f32(c.stage1_last), label);
    assert.equal(r.value.stage2[0], f32(c.stage2_first), label);
  }
});

/** Runs the given timesteps of a freshly prepared scheduler from x with the reference model. */
function run(s: Scheduler, timesteps: Float64Array, x: Float32Array): Float32Array {
  let out = x;
  for (const t of timesteps) out = s.step(referenceModel(s.scaleModelInput(out, t), t, c), t, out).prevSample;
  return out;
}

for (const r of data.split_vs_full_trajectory) {
  const name = `${r.class} ${r.timestep_spacing} ${r.prediction_type} N=${r.N} split ${r.split}`;
  test(`split run vs single run, ${name}: both match diffusers${r.max_abs_diff_split_vs_full === 0 ? ', and each other exactly' : ''}`, () => {
    const config = {
      timestep_spacing: r.timestep_spacing,
      steps_offset: r.steps_offset,
      prediction_type: r.prediction_type,
    };
    const x = Float32Array.from(r.x_T);
    const full = make(r.class, config);
    full.setTimesteps(r.N);
    const fullFinal = run(full, full.timesteps, x);
    assertClose(fullFinal, r.x_full_final, `${name} single run`);

    const base = make(r.class, config);
    base.setTimesteps(r.N);
    const parts = splitTimesteps(base.timesteps, r.split, { order: base.order });
    assert.ok(parts.ok);
    const handed = run(base, parts.value.stage1, x);
    assertClose(handed, r.x_stage1_output, `${name} stage 1 output`);
    const refiner = make(r.class, config);
    refiner.setTimesteps(r.N);
    refiner.setBeginIndex(parts.value.beginIndex);
    const splitFinal = run(refiner, parts.value.stage2, handed);
    assertClose(splitFinal, r.x_split_final, `${name} split run`);
    if (r.max_abs_diff_split_vs_full === 0) assertExact(splitFinal, fullFinal, `${name} split equals single`);
  });
}

test('the cutoff rounds half to even as Python does: int(round(1000 − split·1000))', () => {
  assert.equal(discreteTimestepCutoff(0.65), 350);
  assert.equal(discreteTimestepCutoff(0.5), 500);
  assert.equal(discreteTimestepCutoff(0.9995), 0); // 0.5 → 0 (even), not 1
  assert.equal(discreteTimestepCutoff(0.9985), 2); // 1.5 → 2
  assert.equal(discreteTimestepCutoff(0.6, 500), 200);
});

test('an order-2 scheduler gets one extra refiner step when its count is even, and none when odd', () => {
  // Second-order schedulers (Heun, KDPM2) repeat every timestep but the first: 999, 899, 899, 799, 799, …
  const paired = Float64Array.from([999, 899, 899, 799, 799, 699, 699, 599, 599]);
  const even = splitTimesteps(paired, 0.35, { order: 2 }); // cutoff 650: 599, 599 → 2 (even) → 3
  assert.ok(even.ok);
  assert.equal(even.value.extraStep, true);
  assertExact(even.value.stage2, [699, 599, 599], 'even count gets the pair back together');
  assert.equal(even.value.beginIndex, 6);
  // cutoff 900 on 999, 950, 899, 850, 799: 3 steps below it (odd), so nothing is added.
  const odd = splitTimesteps(Float64Array.from([999, 950, 899, 850, 799]), 0.1, { order: 2 });
  assert.ok(odd.ok);
  assert.equal(odd.value.extraStep, false);
  assertExact(odd.value.stage2, [899, 850, 799], 'odd count unchanged');
  const first = splitTimesteps(paired, 0.35, { order: 1 });
  assert.ok(first.ok);
  assert.equal(first.value.extraStep, false);
  assert.equal(first.value.stage2.length, 2);
  assert.equal(splitTimesteps(paired, 1.2).ok, false);
});
