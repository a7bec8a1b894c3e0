// Cross-stage rules about what the two experts train from and how they are validated: the same model,
// resolution, images and backend (so SimpleTuner's text-embed and latent caches are one set, and the pair
// is trained on one distribution) unless the pipeline says the difference is intended; no noise-schedule
// override that the sampler and evaluate would not share; dataset validation only on the refiner.
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { RuleContext, WithValue } from '../pipeline/rule-api.js';
import type { JsonValue, Pipeline } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';

export interface Pair {
  readonly base: NodeId;
  readonly refiner: NodeId;
  /** The compose.inference or evaluate node they feed, when the pair was found through one. */
  readonly consumer?: NodeId;
}

/** The inputs both experts must share unless listed in `intended_differences`. */
export const SHARED_INPUTS = [
  'model',
  'pretrained_model',
  'cache',
  'resolution',
  'images',
  'backend',
] as const;
type SharedInput = (typeof SHARED_INPUTS)[number];

const DEFAULTS: Readonly<Partial<Record<SharedInput, JsonValue>>> = { resolution: 1024, backend: 'builtin' };

/** A with value as written, for comparison: the evaluated value, else the text (`${{ nodes.x.outputs.y }}`). */
function known(v: WithValue | undefined): JsonValue | undefined {
  if (v === undefined) return undefined;
  return v.value !== undefined ? v.value : v.raw;
}

function effective(
  ctx: RuleContext,
  id: NodeId,
  field: SharedInput,
): { v: JsonValue; at?: WithValue } | undefined {
  const at = ctx.withValue(id, [field]);
  if (at !== undefined) {
    const v = known(at);
    return v === undefined ? undefined : { v, at };
  }
  // pretrained_model defaults to `model`.
  if (field === 'pretrained_model') {
    const model = ctx.withValue(id, ['model']);
    const v = known(model);
    return v === undefined || model === undefined ? undefined : { v, at: model };
  }
  const d = DEFAULTS[field];
  return d === undefined ? undefined : { v: d };
}

function intended(ctx: RuleContext, pair: Pair): Set<string> {
  const out = new Set<string>();
  for (const id of [pair.base, pair.refiner]) {
    const v = ctx.withValue(id, ['intended_differences'])?.value;
    if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.add(x);
  }
  return out;
}

const show = (v: JsonValue): string => (typeof v === 'string' ? v : JSON.stringify(v));

export function expertInputRules(pipeline: Pipeline, ctx: RuleContext, pair: Pair): Diagnostic[] {
  const out: Diagnostic[] = [];
  const allowed = intended(ctx, pair);
  for (const field of SHARED_INPUTS) {
    if (allowed.has(field)) continue;
    const b = effective(ctx, pair.base, field);
    const r = effective(ctx, pair.refiner, field);
    if (!b || !r || JSON.stringify(b.v) === JSON.stringify(r.v)) continue;
    const why =
      field === 'backend'
        ? 'the pair would be trained by two different trainers'
        : field === 'cache'
          ? 'the experts would not train from one embedding cache (one text encoding, one set of latents)'
          : "the experts would not share SimpleTuner's text-embed and latent caches, nor one training distribution";
    const range = r.at?.range ?? pipeline.nodes.get(pair.refiner)?.range;
    out.push({
      severity: 'error',
      code: 'expert-inputs',
      message: `\`${pair.refiner}\` has ${field} ${show(r.v)}${r.at ? '' : ' (the default)'} but \`${pair.base}\` has ${show(b.v)}${b.at ? '' : ' (the default)'}: ${why}`,
      ...(range ? { range } : {}),
      ...(b.at ? { related: [{ message: `${field} of \`${pair.base}\``, range: b.at.range }] } : {}),
      suggestion: `give both experts the same ${field}, or say the difference is meant: intended_differences: [${field}]`,
    });
  }
  if (pair.consumer !== undefined) {
    const step = pipeline.nodes.get(pair.consumer)?.step ?? 'compose.inference';
    for (const id of [pair.base, pair.refiner]) {
      const ns = ctx.withValue(id, ['noise_schedule']);
      if (ns === undefined) continue;
      out.push({
        severity: 'error',
        code: 'expert-noise-schedule',
        message: `\`${id}\` overrides noise_schedule, but \`${pair.consumer}\` (${step}) uses the model folder's own scheduler config: the expert would be sampled and evaluated under another noise schedule than it was trained on`,
        range: ns.keyRange ?? ns.range,
        suggestion:
          "remove noise_schedule (train on the model's schedule), or change the model folder's scheduler config",
      });
    }
  }
  const onBase = ctx.withValue(pair.base, ['validation_using_datasets']);
  if (onBase !== undefined && onBase.value === true) {
    out.push({
      severity: 'error',
      code: 'base-dataset-validation',
      message: `\`${pair.base}\` is the base (high-noise) expert but sets validation_using_datasets: SimpleTuner's dataset validation partially denoises images at strength 0.2, inside the refiner's range; the seed sets it on the refiner`,
      range: onBase.keyRange ?? onBase.range,
      suggestion: `remove it from \`${pair.base}\`; set it on \`${pair.refiner}\``,
    });
  }
  return out;
}
