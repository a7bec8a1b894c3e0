// Each node's own objective settings, checked at validation time: what train.expert, compose.inference
// and evaluate refuse when they start (resolveFlow, the trainer's, the sampler's and the evaluation's
// checks) is reported before anything runs, at the key, instead of after the experts have trained.
// Values known before running only (literals and expressions over params).
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { PipelineRule, RuleContext } from '../pipeline/rule-api.js';
import type { PipelineNode } from '../pipeline/types.js';
import { FLOW_ONLY, strayDensityKey } from './flow-objective.js';
import { CONSUMER_STEPS, TRAIN_STEP } from './rule-steps.js';

/** What each step does not read with objective flow_matching (its run refuses them). */
const NOT_WITH_FLOW: Readonly<Record<string, readonly string[]>> = {
  [TRAIN_STEP]: ['prediction_type', 'zero_snr', 'snr_gamma', 'timestep_bias_strategy'],
  'compose.inference': ['split', 'prediction_type', 'zero_snr', 'timestep_spacing'],
  evaluate: ['prediction_type', 'zero_snr'],
};
const FLOW_SAMPLERS = ['flow_euler', 'unipc'];

function check(ctx: RuleContext, node: PipelineNode, out: Diagnostic[]): void {
  const at = (key: string) => ctx.withValue(node.id, [key]);
  const objective = at('objective');
  if (objective !== undefined && objective.value === undefined) return; // known only at run time
  const flow = objective?.value === 'flow_matching';
  const error = (key: string, message: string, suggestion: string): void => {
    const v = at(key);
    if (v === undefined) return;
    out.push({
      severity: 'error',
      code: 'flow-settings',
      message: `\`${node.id}\`: ${message}`,
      range: v.keyRange ?? v.range,
      suggestion,
    });
  };
  if (!flow) {
    for (const key of FLOW_ONLY) {
      error(
        key,
        `${key} is only read with objective: flow_matching (this node trains or samples a diffusion model)`,
        `set objective: flow_matching, or remove ${key}`,
      );
    }
    const scheduler = at('scheduler');
    if (node.step === 'compose.inference' && scheduler?.value === 'flow_euler') {
      out.push({
        severity: 'error',
        code: 'flow-settings',
        message: `\`${node.id}\`: scheduler flow_euler samples flow-matching models, but this node's objective is diffusion`,
        range: scheduler.range,
        suggestion: 'set objective: flow_matching, or scheduler: ddim, euler, unipc, dpmpp_2m or ddpm',
      });
    }
    return;
  }
  const ways = (['boundary', 'boundary_snr', 'strength'] as const).filter((k) => at(k) !== undefined);
  for (const key of ways.slice(1)) {
    error(
      key,
      `${ways.join(' and ')} both give the flow-matching boundary`,
      `give the boundary one way: keep ${ways[0] ?? 'boundary'} and remove ${key}`,
    );
  }
  const density = at('timestep_density');
  if (node.step === TRAIN_STEP && (density === undefined || typeof density.value === 'string')) {
    const kind = typeof density?.value === 'string' ? density.value : 'logit_normal';
    const stray = strayDensityKey(kind, (k) => at(k) !== undefined);
    if (stray !== undefined)
      error(
        stray.key,
        `${stray.key} is only read with timestep_density: ${stray.owner}; this node has timestep_density ${kind}${density === undefined ? ' (the default)' : ''}`,
        `set timestep_density: ${stray.owner}, or remove ${stray.key}`,
      );
  }
  for (const key of NOT_WITH_FLOW[node.step] ?? []) {
    error(
      key,
      `${key} is not used with objective: flow_matching (the model predicts ε − x₀ at t = 1000·σ${key === 'split' ? '; the hand-off is the boundary' : ''})`,
      `remove ${key}`,
    );
  }
  const scheduler = at('scheduler');
  if (node.step === 'compose.inference' && typeof scheduler?.value === 'string') {
    if (!FLOW_SAMPLERS.includes(scheduler.value)) {
      out.push({
        severity: 'error',
        code: 'flow-settings',
        message: `\`${node.id}\`: objective flow_matching samples with flow_euler or unipc (on flow sigmas), not ${scheduler.value}`,
        range: scheduler.range,
        suggestion: 'scheduler: flow_euler (or unipc)',
      });
    }
  }
}

/** Every train.expert, compose.inference and evaluate node asks only for what its objective reads. */
export const flowSettingsRule: PipelineRule = function flowSettingsRule(_pipeline, ctx) {
  const out: Diagnostic[] = [];
  for (const step of [TRAIN_STEP, ...CONSUMER_STEPS]) {
    for (const node of ctx.nodesOfStep(step)) check(ctx, node, out);
  }
  return out;
};
