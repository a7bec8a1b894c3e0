// What one musubi-tuner Wan run trains on the noise axis: its σ density and shift (--timestep_sampling and
// the options it reads) and which expert(s) at which boundary (--dit_high_noise with --timestep_boundary,
// or one DiT with --min_timestep/--max_timestep). Facts from musubi-tuner's trainer_base.py and
// wan_train_network.py (docs/flow-matching.md has the table); errors point at the option.
import type { JsonValue } from '../../pipeline/types.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import type { NotCarried } from './dataset.js';
import type { MusubiOption, MusubiRun, OptionValue } from './options.js';
import { at } from './options.js';

/** The boundary of each Wan 2.2 task that has two experts (musubi-tuner's wan/configs). */
export const TASK_BOUNDARY: Readonly<Record<string, number>> = { 't2v-A14B': 0.875, 'i2v-A14B': 0.9 };
/** Wan 2.2's sampling defaults per task: flow shift, steps, guidance (low-noise, high-noise). */
export const TASK_SAMPLING: Readonly<
  Record<string, { shift: number; steps: number; guidance: [number, number] }>
> = {
  't2v-A14B': { shift: 12, steps: 40, guidance: [3, 4] },
  'i2v-A14B': { shift: 5, steps: 40, guidance: [3.5, 3.5] },
};

export interface RunFlow {
  readonly shift: number;
  readonly shiftOption: MusubiOption | undefined;
  readonly density: Record<string, JsonValue>;
  /** The experts this run trains: one (by its timestep range) or both (--dit_high_noise). */
  readonly roles: readonly ('base' | 'refiner')[];
  readonly boundary: number;
  /** The option that sets the boundary, for messages. */
  readonly boundaryFrom: MusubiOption | undefined;
}

export const show = (v: OptionValue): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A numeric option, or undefined when absent; an error at its position when it is not a number. */
export function numberOption(run: MusubiRun, name: string): Result<number | undefined, string> {
  const o = run.options.get(name);
  if (o === undefined) return ok(undefined);
  const n = typeof o.value === 'number' ? o.value : typeof o.value === 'string' ? Number(o.value) : NaN;
  if (typeof o.value === 'string' && o.value.trim() === '')
    return err(`${at(o.where)}: --${name}: expected a number`);
  return Number.isFinite(n)
    ? ok(n)
    : err(`${at(o.where)}: --${name}: expected a number, got ${show(o.value)}`);
}

/** Where an option was written (the first of `names` that is set), else the run's file. */
function loc(run: MusubiRun, ...names: string[]): string {
  for (const name of names) {
    const o = run.options.get(name);
    if (o) return at(o.where);
  }
  return run.file;
}

const SAMPLING_WITH_SHIFT = new Set(['shift']);
const DIRECT = new Set(['uniform', 'sigmoid', 'shift']);

/** --timestep_sampling and the options it reads → moe's density and shift; the rest to notCarried. */
function densityOf(
  run: MusubiRun,
  notCarried: NotCarried[],
): Result<Omit<RunFlow, 'roles' | 'boundary' | 'boundaryFrom'>, string> {
  const o = run.options;
  const drop = (name: string, reason: string) => {
    const opt = o.get(name);
    if (opt) notCarried.push({ where: opt.where, option: `--${name}`, value: show(opt.value), reason });
  };
  const sampling =
    typeof o.get('timestep_sampling')?.value === 'string'
      ? (o.get('timestep_sampling')?.value as string)
      : 'sigma';
  const values: Record<string, number | undefined> = {};
  for (const name of ['discrete_flow_shift', 'sigmoid_scale', 'logit_mean', 'logit_std', 'mode_scale']) {
    const n = numberOption(run, name);
    if (!n.ok) return n;
    values[name] = n.value;
  }
  const scheme = o.get('weighting_scheme')?.value ?? 'none';
  if (scheme === 'cosmap' || scheme === 'sigma_sqrt') {
    drop('weighting_scheme', 'a loss weighting: moe weights every σ alike in the flow-matching loss');
  }
  const sigmoidStd = values.sigmoid_scale ?? 1;
  if (!(sigmoidStd > 0)) return err(`${loc(run, 'sigmoid_scale')}: --sigmoid_scale: expected a number > 0`);
  let density: Record<string, JsonValue>;
  if (sampling === 'uniform') density = { timestep_density: 'uniform' };
  else if (sampling === 'sigmoid' || sampling === 'shift')
    density = { timestep_density: 'logit_normal', logit_mean: 0, logit_std: sigmoidStd };
  else if (sampling === 'sigma') {
    // sigma draws u from the weighting scheme and takes timesteps[u·1000] of a list running from 1000
    // down: σ = 1 − u, so a logit_mean m centres σ at sigmoid(−m) (the mode density is symmetric).
    density =
      scheme === 'logit_normal'
        ? {
            timestep_density: 'logit_normal',
            logit_mean: -(values.logit_mean ?? 0) || 0,
            logit_std: values.logit_std ?? 1,
          }
        : scheme === 'mode'
          ? { timestep_density: 'mode', mode_scale: values.mode_scale ?? 1.29 }
          : { timestep_density: 'uniform' };
  } else {
    drop(
      'timestep_sampling',
      'no moe counterpart (a resolution-dependent shift or a mixture of densities): moe trains with the logit-normal density here',
    );
    density = { timestep_density: 'logit_normal', logit_mean: 0, logit_std: sigmoidStd };
  }
  if (sampling !== 'sigma') {
    for (const name of ['logit_mean', 'logit_std', 'mode_scale'])
      drop(name, `musubi-tuner reads it only with --timestep_sampling sigma (here: ${sampling})`);
  }
  if (!DIRECT.has(sampling) && sampling !== 'sigma')
    drop('sigmoid_scale', `not read with --timestep_sampling ${sampling}`);
  if (sampling === 'uniform') drop('sigmoid_scale', 'not read with --timestep_sampling uniform');
  const shiftOption = o.get('discrete_flow_shift');
  const shift = SAMPLING_WITH_SHIFT.has(sampling) ? (values.discrete_flow_shift ?? 1) : 1;
  if (!(shift > 0))
    return err(`${loc(run, 'discrete_flow_shift')}: --discrete_flow_shift: expected a number > 0`);
  if (!SAMPLING_WITH_SHIFT.has(sampling)) {
    drop(
      'discrete_flow_shift',
      `musubi-tuner's training shifts σ only with --timestep_sampling shift; with ${sampling} it trained unshifted (moe: shift 1)`,
    );
  }
  return ok({ shift, shiftOption: SAMPLING_WITH_SHIFT.has(sampling) ? shiftOption : undefined, density });
}

/** The range --min_timestep/--max_timestep give, checked (0 ≤ min < max ≤ 1000). */
function rangeOf(run: MusubiRun): Result<{ min: number; max: number } | undefined, string> {
  const min = numberOption(run, 'min_timestep');
  if (!min.ok) return min;
  const max = numberOption(run, 'max_timestep');
  if (!max.ok) return max;
  if (min.value === undefined && max.value === undefined) return ok(undefined);
  const lo = min.value ?? 0;
  const hi = max.value ?? 1000;
  if (!(lo >= 0 && hi <= 1000 && lo < hi) || (hi <= 1 && lo < 1)) {
    return err(
      `${loc(run, 'min_timestep', 'max_timestep')}: --min_timestep ${lo} --max_timestep ${hi}: expected 0 ≤ min < max ≤ 1000 (timesteps, not 0…1)`,
    );
  }
  return ok({ min: lo, max: hi });
}

/** Resolves the run's σ density, shift, experts and boundary. */
export function runFlow(run: MusubiRun, notCarried: NotCarried[]): Result<RunFlow, string> {
  const o = run.options;
  const d = densityOf(run, notCarried);
  if (!d.ok) return d;
  const range = rangeOf(run);
  if (!range.ok) return range;
  const sampling = o.get('timestep_sampling')?.value ?? 'sigma';
  const task = o.get('task');
  const taskName = typeof task?.value === 'string' ? task.value : 't2v-14B';
  const tb = numberOption(run, 'timestep_boundary');
  if (!tb.ok) return tb;
  const tbOption = o.get('timestep_boundary');
  const given = tb.value === undefined ? undefined : tb.value > 1 ? tb.value / 1000 : tb.value;
  if (given !== undefined && !(given > 0 && given < 1)) {
    return err(
      `${loc(run, 'timestep_boundary')}: --timestep_boundary: expected a ratio in (0, 1) or a timestep in (1, 1000), got ${tb.value}`,
    );
  }
  const high = o.get('dit_high_noise');
  if (high !== undefined) {
    const boundary = given ?? TASK_BOUNDARY[taskName];
    if (boundary === undefined) {
      return err(
        `${at(high.where)}: --dit_high_noise needs a boundary: give --timestep_boundary (--task ${taskName} has no default)`,
      );
    }
    if (range.value !== undefined) {
      const opt = o.get('min_timestep') ?? o.get('max_timestep');
      if (opt)
        notCarried.push({
          where: opt.where,
          option: '--min_timestep/--max_timestep',
          value: `${range.value.min}..${range.value.max}`,
          reason:
            'with both DiTs in one run musubi-tuner narrows both experts at once; moe trains each expert over its whole side of the boundary',
        });
    }
    return ok({ ...d.value, roles: ['base', 'refiner'], boundary, boundaryFrom: tbOption ?? task });
  }
  if (range.value === undefined) {
    const dit = o.get('dit');
    const where = dit ?? [...o.values()][0];
    return err(
      `${where ? at(where.where) : run.file}: this run trains one DiT over every timestep: say which expert it is with --min_timestep/--max_timestep (875/1000 for the high-noise expert of T2V, 0/875 for the low-noise one) or train both with --dit_high_noise`,
    );
  }
  const { min, max } = range.value;
  const minOpt = o.get('min_timestep') ?? o.get('max_timestep');
  if (sampling === 'sigma') {
    return err(
      `${loc(run, 'min_timestep', 'max_timestep')}: with --timestep_sampling sigma (musubi-tuner's default) --min_timestep/--max_timestep index a timestep list that runs from 1000 down, so ${min}..${max} trains t ${1000 - max}..${1000 - min}, the other end of the schedule; use --timestep_sampling shift (with --discrete_flow_shift), sigmoid or uniform, which read the range as timesteps`,
    );
  }
  let role: 'base' | 'refiner';
  let boundary: number;
  if (min > 0 && max === 1000) [role, boundary] = ['base', min / 1000];
  else if (min === 0 && max < 1000) [role, boundary] = ['refiner', max / 1000];
  else {
    return err(
      `${loc(run, 'min_timestep', 'max_timestep')}: --min_timestep ${min} --max_timestep ${max} is a band in the middle: a Wan 2.2 expert owns one side of the boundary (min 0 or max 1000)`,
    );
  }
  if (tbOption !== undefined && given !== undefined && Math.abs(given - boundary) > 1e-9) {
    notCarried.push({
      where: tbOption.where,
      option: '--timestep_boundary',
      value: show(tbOption.value),
      reason: `musubi-tuner reads it only with --dit_high_noise; this run's range puts the boundary at ${boundary}`,
    });
  }
  if (minOpt !== undefined && o.get('preserve_distribution_shape') === undefined) {
    notCarried.push({
      where: minOpt.where,
      option: '--preserve_distribution_shape',
      value: '(absent)',
      reason: `without it musubi-tuner rescales its draws into ${min}..${max}, which bends the density; moe keeps the density's shape inside the range, as with the flag`,
    });
  }
  return ok({ ...d.value, roles: [role], boundary, boundaryFrom: minOpt });
}
