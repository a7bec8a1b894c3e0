// What each train.expert backend can honour, checked at validation time so that nothing a pipeline asks
// for is dropped silently at run time: SimpleTuner has no noise-schedule override and no x-prediction,
// and ignores the expert's range at batch size 1; the built-in trainer has no mixed precision and no
// training-time validation.
import type { Diagnostic, SourceRange } from '../pipeline/diagnostic.js';
import type { PipelineRule, RuleContext } from '../pipeline/rule-api.js';
import type { Pipeline, PipelineNode } from '../pipeline/types.js';
import { TRAIN_STEP } from './rule-steps.js';

const TRAIN = TRAIN_STEP;

function backendOf(ctx: RuleContext, node: PipelineNode): string | undefined {
  const v = ctx.withValue(node.id, ['backend']);
  if (v === undefined) return 'builtin';
  return typeof v.value === 'string' ? v.value : undefined;
}

function simpleTuner(ctx: RuleContext, node: PipelineNode, out: Diagnostic[]): void {
  const schedule = ctx.withValue(node.id, ['noise_schedule']);
  if (schedule !== undefined) {
    out.push({
      severity: 'error',
      code: 'simpletuner-noise-schedule',
      message: `\`${node.id}\`: backend simpletuner cannot honour noise_schedule: SimpleTuner trains with the model's own scheduler config (only zero_snr and prediction_type change it)`,
      range: schedule.keyRange ?? schedule.range,
      suggestion: 'remove noise_schedule, or use backend: builtin',
    });
  }
  const prediction = ctx.withValue(node.id, ['prediction_type']);
  if (prediction?.value === 'sample') {
    out.push({
      severity: 'error',
      code: 'simpletuner-prediction-type',
      message: `\`${node.id}\`: prediction_type sample is not implemented by SimpleTuner (it raises NotImplementedError)`,
      range: prediction.range,
      suggestion: 'prediction_type: epsilon or v_prediction, or backend: builtin',
    });
  }
  const objective = ctx.withValue(node.id, ['objective']);
  if (objective?.value === 'flow_matching') {
    out.push({
      severity: 'error',
      code: 'simpletuner-flow-matching',
      message: `\`${node.id}\`: objective flow_matching is trained by the built-in backend only; moe does not write SimpleTuner's flow-matching settings yet`,
      range: objective.range,
      suggestion:
        'backend: builtin (docs/flow-matching.md maps the boundary to SimpleTuner and musubi-tuner options)',
    });
  }
  const batch = ctx.withValue(node.id, ['batch_size']);
  if (batch === undefined || batch.value === 1) {
    const range: SourceRange = batch?.range ?? node.range;
    out.push({
      severity: 'warning',
      code: 'simpletuner-batch-size',
      message: `\`${node.id}\`: batch_size 1${batch ? '' : ' (the default)'} with backend simpletuner: SimpleTuner then ignores the expert's timestep range and draws from all of 0…999`,
      range,
      suggestion: 'batch_size: 2 or more',
    });
  }
}

function builtin(ctx: RuleContext, node: PipelineNode, out: Diagnostic[]): void {
  const precision = ctx.withValue(node.id, ['mixed_precision']);
  if (precision !== undefined && precision.value !== undefined && precision.value !== 'no') {
    out.push({
      severity: 'error',
      code: 'builtin-mixed-precision',
      message: `\`${node.id}\`: mixed_precision ${String(precision.value)}: the built-in backend trains in fp32 only`,
      range: precision.range,
      suggestion: 'mixed_precision: no, or backend: simpletuner',
    });
  }
  for (const field of ['validation', 'validation_using_datasets'] as const) {
    const v = ctx.withValue(node.id, [field]);
    if (v === undefined || v.value === false) continue;
    out.push({
      severity: 'error',
      code: 'builtin-validation',
      message: `\`${node.id}\`: ${field} is SimpleTuner's validation while training; the built-in backend has none (evaluate and compose.inference validate the experts)`,
      range: v.keyRange ?? v.range,
      suggestion: `remove ${field}, or use backend: simpletuner`,
    });
  }
}

/** Every train.expert node asks only for what its backend does. */
export const backendRule: PipelineRule = function backendRule(_pipeline: Pipeline, ctx) {
  const out: Diagnostic[] = [];
  for (const node of ctx.nodesOfStep(TRAIN)) {
    const backend = backendOf(ctx, node);
    if (backend === 'simpletuner') simpleTuner(ctx, node, out);
    else if (backend === 'builtin') builtin(ctx, node, out);
  }
  return out;
};
