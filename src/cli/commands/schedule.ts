/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into typed arrays here are in bounds by construction (loop limits, checked lengths); `!` says so without a branch per element in the inner loops. */
import { Command, Flags } from '@oclif/core';
import type { SplitDescription } from '../../diffusion/describe.js';

const KINDS = ['ddpm', 'ddim', 'euler', 'unipc', 'dpmpp_2m'];

export default class Schedule extends Command {
  static override description =
    'Show which timesteps (and sigmas) the base and the refiner expert run at inference for a sampler, step count and split, and the training range each expert sees for the strength.';
  static override examples = [
    '<%= config.bin %> schedule --scheduler unipc --steps 40 --spacing trailing --zero-snr --split 0.65',
    '<%= config.bin %> schedule --scheduler euler --steps 20 --split 0.7 --strength 0.3 --json',
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
  };

  async run(): Promise<SplitDescription> {
    const { flags } = await this.parse(Schedule);
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
