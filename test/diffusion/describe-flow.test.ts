// moe schedule for a flow-matching pair: Wan's hand-off at a boundary given as a ratio, a strength or an
// SNR threshold (whose boundary is printed), and each expert's training range in t = 1000·σ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describeFlowSplit, flowSnr } from '../../src/diffusion/index.js';
import type { FlowSplitDescription } from '../../src/diffusion/index.js';
import { repoRoot } from './reference.js';

const bin = `${repoRoot}/bin/moe.js`;

test('describeFlowSplit: the high-noise expert takes the prefix with t ≥ boundary·1000, the low-noise one the rest', () => {
  const d = describeFlowSplit({ scheduler: 'flow_euler', steps: 28, shift: 3, boundary: { boundary: 0.9 } });
  assert.ok(d.ok);
  const { high, low } = d.value;
  assert.equal(high.timesteps.length + low.timesteps.length, 28);
  assert.ok(high.timesteps.every((t) => t >= 900) && low.timesteps.every((t) => t < 900));
  assert.equal(low.beginIndex, high.timesteps.length);
  assert.deepEqual(high.training.sigmas, { min: 0.9, max: 1 });
  assert.deepEqual(low.training.timesteps, { min: 0, max: 900 });
  assert.equal(high.sigmas[0], 1);
  const bad = describeFlowSplit({ scheduler: 'ddim', steps: 0, boundary: { snr: -2 } });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.error, [
    'scheduler: expected flow_euler or unipc for a flow-matching split, got "ddim"',
    'steps: expected an integer in 1..1000, got 0',
    'snr: expected a number > 0, got -2',
  ]);
});

test('moe schedule --boundary/--snr prints the flow hand-off; --json gives the record; bad input exits 2', () => {
  const args = ['schedule', '--scheduler', 'unipc', '--shift', '12', '--steps', '40'];
  const table = execFileSync(process.execPath, [bin, ...args, '--boundary', '0.875'], { encoding: 'utf8' });
  assert.match(table, /high-noise expert runs t ≥ 875, low-noise expert t < 875 from step 26/);
  assert.match(table, /high-noise\s+26\s+999 … 878\s+875\.\.1000/);
  assert.match(table, /low-noise\s+14\s+866 … 242\s+0\.\.875/);
  const snr = flowSnr(0.9);
  const json = JSON.parse(
    execFileSync(process.execPath, [bin, ...args, '--snr', String(snr), '--json'], { encoding: 'utf8' }),
  ) as FlowSplitDescription;
  assert.ok(Math.abs(json.boundary.boundary - 0.9) < 1e-12);
  assert.match(json.boundary.from, /^snr 0\.0123457 → boundary 0\.9$/);
  assert.ok(json.high.timesteps.every((t) => t >= 900));
  const bad = spawnSync(
    process.execPath,
    [bin, 'schedule', '--scheduler', 'flow_euler', '--boundary', '1.2'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /boundary: expected a number strictly between 0 and 1, got 1\.2/);
  assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/);
});

test('moe schedule refuses diffusion-only flags for a flow-matching split instead of ignoring them', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, 'schedule', ...args], { encoding: 'utf8' });
  const oneLine = (s: string): string => s.replace(/\s*\n\s*›\s*/g, ' ');
  // --split 0.6 was shown as the default boundary 0.875, as if the split had been taken.
  const split = run('--scheduler', 'flow_euler', '--split', '0.6');
  assert.equal(split.status, 2, split.stdout);
  assert.match(
    oneLine(split.stderr),
    /--split applies to diffusion schedules only: with --scheduler flow_euler the schedule is flow matching, handed off at a boundary; give it with --boundary, --snr or --strength/,
  );
  const many = run('--shift', '3', '--zero-snr', '--spacing', 'trailing', '--prediction-type', 'epsilon');
  assert.equal(many.status, 2, many.stdout);
  assert.match(
    oneLine(many.stderr),
    /--spacing, --zero-snr, --prediction-type apply to diffusion schedules only: with --shift the schedule/,
  );
  // mu replaces the static shift (diffusers' dynamic shifting): both at once would drop one unsaid.
  const both = run('--shift', '3', '--mu', '1');
  assert.equal(both.status, 2, both.stdout);
  assert.match(both.stderr, /--shift=3 cannot also be provided when using --mu/);
  assert.equal(run('--scheduler', 'flow_euler', '--strength', '0.3').status, 0);
});

test('moe schedule refuses a mu whose e^mu overflows, which printed NaN timesteps', () => {
  const r = spawnSync(process.execPath, [bin, 'schedule', '--mu', '1000', '--steps', '4'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stdout);
  assert.match(r.stderr, /mu: expected a number below 709 \(e\^mu must be finite\), got 1000/);
  assert.doesNotMatch(r.stdout, /NaN/);
});

test('a boundary SNR so small that the boundary rounds to 1 is refused, as --boundary 1 is', () => {
  const r = spawnSync(process.execPath, [bin, 'schedule', '--snr', '1e-300'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stdout);
  assert.match(
    r.stderr.replace(/\s*\n\s*›\s*/g, ' '),
    /snr: 1e-300 puts the boundary at 1, not strictly between 0 and 1; give an SNR nearer 1/,
  );
});

test('moe schedule with a flow flag and a diffusion-only sampler names the flag that asked for flow matching', () => {
  const r = spawnSync(process.execPath, [bin, 'schedule', '--scheduler', 'ddpm', '--shift', '3'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stdout);
  assert.match(
    r.stderr.replace(/\s*\n\s*›\s*/g, ' '),
    /--shift asks for a flow-matching split, which runs --scheduler flow_euler or unipc, not ddpm; choose one of those, or leave out --shift for a ddpm split/,
  );
});
