/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices into arrays here are in bounds by construction (loop limits). */
// `moe schedule` for a flow-matching pair: the boundary, the steps each expert runs, their training ranges.
import type { FlowSplitDescription, FlowStagePlan } from '../../diffusion/describe-flow.js';

const num = (x: number): string => (x === 0 ? '0' : Number(x.toPrecision(6)).toString());

export function renderFlowSplit(d: FlowSplitDescription): string {
  const shift = d.mu === undefined ? `shift ${num(d.shift)}` : `dynamic shift mu ${num(d.mu)}`;
  const lines = [
    `${d.diffusersClass} (${d.scheduler}), ${d.steps} steps, ${shift}, flow_prediction`,
    `${d.boundary.from} (SNR ${num(d.boundary.snr)}): high-noise expert runs t ≥ ${num(d.boundary.boundaryTimestep)}, ` +
      `low-noise expert t < ${num(d.boundary.boundaryTimestep)} from step ${d.low.beginIndex}; one sampler throughout (Wan's hand-off)`,
    '',
    'expert      steps  timesteps            training range (t = 1000·σ)',
  ];
  const stages: [string, FlowStagePlan][] = [
    ['high-noise', d.high],
    ['low-noise', d.low],
  ];
  for (const [name, s] of stages) {
    const span =
      s.timesteps.length === 0
        ? '(none)'
        : `${num(s.timesteps[0]!)} … ${num(s.timesteps[s.timesteps.length - 1]!)}`;
    const r = s.training.timesteps;
    lines.push(
      `${name.padEnd(10)} ${String(s.timesteps.length).padStart(6)}  ${span.padEnd(20)} ${num(r.min)}..${num(r.max)}`,
    );
  }
  lines.push('', '  step   timestep         sigma  expert');
  for (const [name, s] of stages) {
    s.timesteps.forEach((t, i) => {
      lines.push(
        `  ${String(s.beginIndex + i).padStart(4)}  ${num(t).padStart(9)}  ${num(s.sigmas[i]!).padStart(12)}  ${name}`,
      );
    });
  }
  for (const w of d.warnings) lines.push(`note: ${w}`);
  return lines.join('\n');
}
