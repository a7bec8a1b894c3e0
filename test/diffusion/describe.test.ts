import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describeSplit } from '../../src/diffusion/index.js';
import type { SplitDescription } from '../../src/diffusion/index.js';
import { f32, reference, repoRoot } from './reference.js';

const splits = reference<{
  splits: {
    class: string;
    timestep_spacing: string;
    N: number;
    stage1_timesteps: number[];
    stage2_timesteps: number[];
  }[];
}>('sdxl_pipeline.json').splits;

test('describeSplit: the seed configuration (UniPC, 40 trailing steps, zero-SNR, v-prediction, split 0.65)', () => {
  const r = describeSplit({
    scheduler: 'unipc',
    steps: 40,
    spacing: 'trailing',
    zeroSnr: true,
    split: 0.65,
    predictionType: 'v_prediction',
  });
  assert.ok(r.ok);
  const d = r.value;
  assert.equal(d.cutoff, 350);
  assert.equal(d.strength, 1 - 0.65);
  const ref = splits.find(
    (s) => s.class === 'UniPCMultistepScheduler' && s.timestep_spacing === 'trailing' && s.N === 40,
  )!;
  assert.deepEqual(d.base.timesteps, ref.stage1_timesteps);
  assert.deepEqual(d.refiner.timesteps, ref.stage2_timesteps);
  assert.equal(d.refiner.beginIndex, 26);
  assert.deepEqual(d.base.training, { min: 350, max: 999 });
  assert.deepEqual(d.refiner.training, { min: 0, max: 349 });
  assert.ok(Math.abs(d.base.sigmas![0]! - 4095.99976) < 1e-3, 'σ_max under zero-SNR is 4096');
  assert.equal(d.refiner.endSigma, 0);
  assert.equal(d.warnings.length, 1, d.warnings.join('; '));
});

test('describeSplit: Euler linspace keeps fractional timesteps; DDIM has no sigmas; mismatched split and strength are flagged', () => {
  const euler = describeSplit({ scheduler: 'euler', steps: 20, spacing: 'linspace', split: 0.65 });
  assert.ok(euler.ok);
  const ref = splits.find(
    (s) => s.class === 'EulerDiscreteScheduler' && s.timestep_spacing === 'linspace' && s.N === 20,
  )!;
  assert.deepEqual(euler.value.refiner.timesteps, ref.stage2_timesteps.map(f32));
  const ddim = describeSplit({
    scheduler: 'ddim',
    steps: 50,
    split: 0.7,
    strength: 0.35,
    zeroSnr: true,
    predictionType: 'epsilon',
  });
  assert.ok(ddim.ok);
  assert.equal(ddim.value.base.sigmas, undefined);
  assert.equal(ddim.value.cutoff, 300);
  const text = ddim.value.warnings.join('\n');
  assert.match(text, /refiner is trained on 0\.\.349 but runs below t=300/);
  assert.match(text, /leading spacing never samples t=999/);
  assert.match(text, /epsilon prediction cannot denoise at SNR 0/);
});

test('describeSplit reports every bad option at once', () => {
  const r = describeSplit({ scheduler: 'heun', steps: 0, strength: 1.2, spacing: 'sideways' });
  assert.equal(r.ok, false);
  if (r.ok) return;
  // The spacing cannot be checked without a valid scheduler kind, whose class decides the accepted keys.
  assert.equal(r.error.length, 3, r.error.join('\n'));
  assert.match(
    r.error.join('\n'),
    /scheduler: expected one of ddpm, ddim, euler, unipc, dpmpp_2m, flow_euler, got "heun"/,
  );
  assert.match(r.error.join('\n'), /steps: expected an integer in 1\.\.1000, got 0/);
  assert.match(r.error.join('\n'), /strength: expected a number strictly between 0 and 1, got 1\.2/);
});

test('a split alone is judged as the split; a strength between two timesteps is named, with the one to use', () => {
  const split = (v: number) => {
    const r = describeSplit({ scheduler: 'ddim', steps: 10, split: v });
    return r.ok ? [] : [...r.error];
  };
  assert.deepEqual(split(1.5), ['split: expected a number strictly between 0 and 1, got 1.5']);
  assert.deepEqual(split(0.9999), [
    'split: 0.9999 means strength: 0.0001 × 1000 timesteps leaves the refiner no timesteps',
  ]);
  // 1 − 0.3507 hands off at 351 (rounded), training cuts at 350 (int): "use split = 1 − strength" was no help.
  const between = describeSplit({ scheduler: 'ddim', steps: 10, spacing: 'trailing', strength: 0.3507 });
  assert.ok(between.ok);
  assert.ok(
    between.value.warnings.includes(
      'the refiner is trained on 0..349 but runs below t=351 at inference: strength 0.3507 falls between two timesteps; use strength 0.35',
    ),
    between.value.warnings.join('\n'),
  );
});

test('moe schedule --json prints the description; the table names both experts; bad input exits 2 without a stack trace', () => {
  const bin = `${repoRoot}/bin/moe.js`;
  const args = [
    'schedule',
    '--scheduler',
    'unipc',
    '--steps',
    '40',
    '--spacing',
    'trailing',
    '--zero-snr',
    '--split',
    '0.65',
  ];
  const json = JSON.parse(
    execFileSync(process.execPath, [bin, ...args, '--prediction-type', 'v_prediction', '--json'], {
      encoding: 'utf8',
    }),
  ) as SplitDescription;
  assert.equal(json.cutoff, 350);
  assert.equal(json.base.timesteps.length, 26);
  assert.equal(json.refiner.timesteps[0], 349);
  assert.deepEqual(json.refiner.training, { min: 0, max: 349 });
  assert.deepEqual(json.base.training, { min: 350, max: 999 });
  const table = execFileSync(process.execPath, [bin, ...args, '--strength', '0.35'], { encoding: 'utf8' });
  assert.match(table, /base\s+26\s+999 … 374\s+350\.\.999/);
  assert.match(table, /refiner\s+14\s+349 … 24\s+0\.\.349/);
  const bad = spawnSync(process.execPath, [bin, 'schedule', '--split', 'abc'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--split: expected a number, got "abc"/);
  assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/);
  // Before, a split out of range was reported as the strength worked out from it: "strength: … got -1".
  const outside = spawnSync(process.execPath, [bin, 'schedule', '--split', '2'], { encoding: 'utf8' });
  assert.equal(outside.status, 2);
  assert.match(outside.stderr, /split: expected a number strictly between 0 and 1, got 2\n/);
  assert.doesNotMatch(outside.stderr, /strength/);
});
