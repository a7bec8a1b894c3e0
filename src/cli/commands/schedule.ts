/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
import { Command, Flags } from '@oclif/core';
import type { SplitDescription } from '../../diffusion/describe.js';
import type { FlowSplitDescription } from '../../diffusion/describe-flow.js';
import { renderFlowSplit } from '../render/flow-schedule.js';

const KINDS = ['ddpm', 'ddim', 'euler', 'unipc', 'dpmpp_2m', 'flow_euler'];

export default class Schedule extends Command {
  static override description =
    'Show which timesteps (and sigmas) the base and the refiner expert run at inference for a sampler, step count and split, and the training range each expert sees for the strength.';
  static override examples = [
    '<%= config.bin %> schedule --scheduler unipc --steps 40 --spacing trailing --zero-snr --split 0.65',
    '<%= config.bin %> schedule --scheduler euler --steps 20 --split 0.7 --strength 0.3 --json',
    '<%= config.bin %> schedule --scheduler unipc --shift 12 --steps 40 --boundary 0.875',
    '<%= config.bin %> schedule --scheduler flow_euler --shift 3 --steps 28 --snr 0.02',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    scheduler: Flags.string({ description: 'sampler', options: KINDS, default: 'unipc' }),
    steps: Flags.integer({ description: 'number of inference steps', default: 40, min: 1 }),
    spacing: Flags.string({
      description: "timestep spacing (default: SDXL's scheduler config, leading)",
      options: ['leading', 'trailing', 'linspace'],
    }),
    'zero-snr': Flags.boolean({ description: 'rescale betas to zero terminal SNR', allowNo: true }),
    split: Flags.string({
      description: "the base's share of the schedule, denoising_end (default 1 − strength, or 0.65)",
    }),
    strength: Flags.string({ description: 'refiner training strength (default 1 − split)' }),
    'prediction-type': Flags.string({
      description: 'what the UNet predicts',
      options: ['epsilon', 'v_prediction', 'sample'],
    }),
    boundary: Flags.string({
      description:
        "flow matching: Wan's boundary_ratio; the high-noise expert runs while t ≥ boundary·1000 (default 0.875)",
      exclusive: ['snr', 'split'],
    }),
    snr: Flags.string({
      description: 'flow matching: the SNR ((1 − σ)/σ)² at the boundary, from which the boundary is computed',
      exclusive: ['boundary', 'split'],
    }),
    shift: Flags.string({
      description: "flow matching: flow_euler's shift or UniPC's flow_shift (default 1)",
    }),
    mu: Flags.string({
      description: 'flow matching: dynamic shifting by mu instead of the static shift',
      exclusive: ['shift'],
    }),
  };

  async run(): Promise<SplitDescription | FlowSplitDescription> {
    const { flags } = await this.parse(Schedule);
    const flow = [flags.boundary, flags.snr, flags.shift, flags.mu].some((f) => f !== undefined);
    if (flow || flags.scheduler === 'flow_euler') {
      // Settings of a diffusion schedule: a flow-matching one has none of them, and would ignore them.
      const unused = (
        [
          ['split', flags.split],
          ['spacing', flags.spacing],
          ['zero-snr', flags['zero-snr']],
          ['prediction-type', flags['prediction-type']],
        ] as const
      )
        .filter(([, v]) => v !== undefined)
        .map(([name]) => `--${name}`);
      if (unused.length > 0) {
        const given = (['boundary', 'snr', 'shift', 'mu'] as const).filter((f) => flags[f] !== undefined);
        const why = given.length > 0 ? given.map((f) => `--${f}`).join(', ') : '--scheduler flow_euler';
        this.error(
          `${unused.join(', ')} ${unused.length === 1 ? 'applies' : 'apply'} to diffusion schedules only: with ${why} the schedule is flow matching, handed off at a boundary; give it with --boundary, --snr or --strength, or leave out ${why} for a diffusion split`,
          { exit: 2 },
        );
      }
      if (flags.scheduler !== 'flow_euler' && flags.scheduler !== 'unipc') {
        const given = (['boundary', 'snr', 'shift', 'mu'] as const).filter((f) => flags[f] !== undefined);
        this.error(
          `${given.map((f) => `--${f}`).join(', ')} ask${given.length === 1 ? 's' : ''} for a flow-matching split, which runs --scheduler flow_euler or unipc, not ${flags.scheduler}; choose one of those, or leave out ${given.map((f) => `--${f}`).join(', ')} for a ${flags.scheduler} split`,
          { exit: 2 },
        );
      }
      return this.flowSplit(flags);
    }
    const { describeSplit } = await import('../../diffusion/describe.js');
    const split = this.fraction('split', flags.split);
    const strength = this.fraction('strength', flags.strength);
    const described = describeSplit({
      scheduler: flags.scheduler,
      steps: flags.steps,
      ...(flags.spacing !== undefined ? { spacing: flags.spacing } : {}),
      ...(flags['zero-snr'] !== undefined ? { zeroSnr: flags['zero-snr'] } : {}),
      ...(flags['prediction-type'] !== undefined ? { predictionType: flags['prediction-type'] } : {}),
      ...(split !== undefined ? { split } : {}),
      ...(strength !== undefined ? { strength } : {}),
    });
    if (!described.ok) this.error(described.error.join('\n'), { exit: 2 });
    this.log(render(described.value));
    return described.value;
  }

  /** A flow-matching pair (Wan 2.2 style): flow sigmas, Wan's hand-off at a boundary. */
  private async flowSplit(flags: {
    scheduler: string;
    steps: number;
    boundary?: string | undefined;
    snr?: string | undefined;
    shift?: string | undefined;
    mu?: string | undefined;
    strength?: string | undefined;
  }): Promise<FlowSplitDescription> {
    const { describeFlowSplit } = await import('../../diffusion/describe-flow.js');
    const boundary = this.fraction('boundary', flags.boundary);
    const snr = this.fraction('snr', flags.snr);
    const strength = this.fraction('strength', flags.strength);
    const shift = this.fraction('shift', flags.shift);
    const mu = this.fraction('mu', flags.mu);
    const described = describeFlowSplit({
      scheduler: flags.scheduler,
      steps: flags.steps,
      ...(shift !== undefined ? { shift } : {}),
      ...(mu !== undefined ? { mu } : {}),
      ...(snr !== undefined
        ? { boundary: { snr } }
        : boundary !== undefined
          ? { boundary: { boundary } }
          : strength !== undefined
            ? { boundary: { strength } }
            : {}),
    });
    if (!described.ok) this.error(described.error.join('\n'), { exit: 2 });
    this.log(renderFlowSplit(described.value));
    return described.value;
  }

  private fraction(name: string, value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      this.error(`--${name}: expected a number, got "${value}"`, { exit: 2 });
    return n;
  }
}

const sig = (x: number): string => (x === 0 ? '0' : Number(x.toPrecision(6)).toString());
const ts = (x: number): string => (Number.isInteger(x) ? String(x) : Number(x.toPrecision(7)).toString());

function render(d: SplitDescription): string {
  const lines: string[] = [];
  lines.push(
    `${d.diffusersClass} (${d.scheduler}), ${d.steps} steps, ${d.spacing} spacing, ${d.zeroSnr ? 'zero-terminal SNR' : 'no zero-SNR rescale'}, ${d.predictionType}`,
  );
  lines.push(
    `split ${d.split}: base runs t ≥ ${d.cutoff}, refiner t < ${d.cutoff} from schedule index ${d.refiner.beginIndex}; training strength ${Number(d.strength.toPrecision(12))}`,
  );
  lines.push(`initial noise sigma ${sig(d.initNoiseSigma)}`, '');
  const stages = [
    ['base', d.base],
    ['refiner', d.refiner],
  ] as const;
  lines.push('expert    steps  timesteps            training range');
  for (const [name, s] of stages) {
    const span =
      s.timesteps.length === 0
        ? '(none)'
        : `${ts(s.timesteps[0]!)} … ${ts(s.timesteps[s.timesteps.length - 1]!)}`;
    lines.push(
      `${name.padEnd(9)} ${String(s.timesteps.length).padStart(5)}  ${span.padEnd(20)} ${s.training.min}..${s.training.max}`,
    );
  }
  lines.push('', `  step   timestep  ${d.base.sigmas ? 'sigma'.padStart(12) + '  ' : ''}expert`);
  for (const [name, s] of stages) {
    s.timesteps.forEach((t, i) => {
      const sigma = s.sigmas ? `${sig(s.sigmas[i]!).padStart(12)}  ` : '';
      lines.push(`  ${String(s.beginIndex + i).padStart(4)}  ${ts(t).padStart(9)}  ${sigma}${name}`);
    });
  }
  if (d.refiner.endSigma !== undefined) lines.push(`  (final sigma ${sig(d.refiner.endSigma)})`);
  for (const w of d.warnings) lines.push(`note: ${w}`);
  return lines.join('\n');
}
