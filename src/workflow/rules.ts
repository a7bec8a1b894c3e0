// The cross-node rules of the split-schedule workflow (docs/design/workflow.md), checked at validation
// time: the two experts that feed one compose.inference or evaluate node must agree on everything that
// decides which timestep means what, and their ranges must tile 0…N−1 where the sampler hands off.
// Only values known before running are compared (literals and expressions over params); a value that
// comes from another node's output is left alone.
import type { Diagnostic, SourceRange } from '../pipeline/diagnostic.js';
import type { PipelineRule, RuleContext, WithValue } from '../pipeline/rule-api.js';
import type { JsonValue, Pipeline } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import { discreteTimestepCutoff } from '../diffusion/handoff.js';
import { COMPOSE_DEFAULTS } from '../steps/diffusion/compose/schema.js';
import { TRAIN_DEFAULTS } from '../steps/train/schema.js';
import { backendRule } from './backend-rules.js';
import { expertInputRules } from './expert-inputs.js';
import { flowPairRules } from './flow-rules.js';
import { flowSettingsRule } from './flow-settings-rules.js';
import { composeSizeRule } from './compose-size-rule.js';
import { CONSUMER_STEPS, TRAIN_STEP } from './rule-steps.js';
import type { Pair } from './expert-inputs.js';

const TRAIN = TRAIN_STEP;
const CONSUMERS = CONSUMER_STEPS;
const DEFAULT_STRENGTH = TRAIN_DEFAULTS.strength;
const DEFAULT_SPLIT = COMPOSE_DEFAULTS.split;
const DEFAULT_TIMESTEPS = 1000;

/** Settings both experts (and the sampler) must share, as paths into `with`. */
const SHARED: readonly (readonly string[])[] = [
  ['prediction_type'],
  ['zero_snr'],
  ['timestep_spacing'],
  ['noise_schedule', 'beta_schedule'],
  ['noise_schedule', 'beta_start'],
  ['noise_schedule', 'beta_end'],
  ['noise_schedule', 'num_train_timesteps'],
];
/** Of those, what a compose.inference or evaluate node sets too (evaluate picks its own timesteps). */
const CONSUMER_SHARED: Readonly<Record<string, readonly (readonly string[])[]>> = {
  'compose.inference': [['prediction_type'], ['zero_snr'], ['timestep_spacing']],
  evaluate: [['prediction_type'], ['zero_snr']],
};

/** Shared DDPM settings that train.expert refuses with objective flow_matching (flow-settings-rules.ts). */
const FLOW_REFUSED: readonly string[] = ['prediction_type', 'zero_snr'];

const show = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : JSON.stringify(v));
const dotted = (path: readonly string[]): string => path.join('.');

/** The node a `${{ nodes.X.outputs.Y }}` value names, when it is exactly one such reference. */
function referencedNode(v: WithValue | undefined): NodeId | undefined {
  if (v === undefined || typeof v.raw !== 'string') return undefined;
  const m = /^\s*\$\{\{\s*nodes\.([A-Za-z0-9_-]+)\.outputs\.[A-Za-z0-9_-]+\s*\}\}\s*$/.exec(v.raw);
  return m ? (m[1] as NodeId) : undefined;
}

function findPairs(pipeline: Pipeline, ctx: RuleContext): Pair[] {
  const trainers = new Set(ctx.nodesOfStep(TRAIN).map((n) => n.id));
  const pairs: Pair[] = [];
  for (const step of CONSUMERS) {
    for (const node of ctx.nodesOfStep(step)) {
      const base = referencedNode(ctx.withValue(node.id, ['base']));
      const refiner = referencedNode(ctx.withValue(node.id, ['refiner']));
      if (base && refiner && trainers.has(base) && trainers.has(refiner))
        pairs.push({ base, refiner, consumer: node.id });
    }
  }
  if (pairs.length > 0) return pairs;
  const byRole = (role: string) =>
    ctx.nodesOfStep(TRAIN).filter((n) => ctx.withValue(n.id, ['role'])?.value === role);
  const [bases, refiners] = [byRole('base'), byRole('refiner')];
  if (bases.length === 1 && refiners.length === 1 && pipeline.nodes.size > 0) {
    return [{ base: (bases[0] as { id: NodeId }).id, refiner: (refiners[0] as { id: NodeId }).id }];
  }
  return [];
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly ctx: RuleContext,
  ) {}

  /** Where to point when a field is absent: the node's key. */
  nodeRange(id: NodeId): SourceRange | undefined {
    return this.pipeline.nodes.get(id)?.range;
  }

  report(d: Diagnostic): void {
    const key = `${d.code}|${d.range?.start.offset ?? ''}|${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(d);
  }

  value(id: NodeId, path: readonly string[]): WithValue | undefined {
    return this.ctx.withValue(id, path);
  }

  roles(pair: Pair): void {
    for (const [id, want, other] of [
      [pair.base, 'base', 'refiner'],
      [pair.refiner, 'refiner', 'base'],
    ] as const) {
      const role = this.value(id, ['role']);
      if (role?.value === undefined || role.value === want) continue;
      const via = pair.consumer ? `feeds \`${want}\` of \`${pair.consumer}\`` : `is the pipeline's ${want}`;
      this.report({
        severity: 'error',
        code: 'expert-role',
        message: `\`${id}\` ${via} but has role ${show(role.value)}: the ${want} expert must have role ${want}${want === 'base' ? ' (the inverted schedule, high-noise timesteps)' : ' (low-noise timesteps)'}`,
        range: role.range,
        suggestion: `set \`role: ${want}\`, or swap the ${want} and ${other} inputs`,
      });
    }
  }

  /** Equal values where both nodes set them; one set and the other not is an error too (defaults differ per model). */
  same(a: NodeId, b: NodeId, path: readonly string[], what: string, must: string): void {
    const va = this.value(a, path);
    const vb = this.value(b, path);
    const name = dotted(path);
    if (va === undefined && vb === undefined) return;
    if (va !== undefined && vb !== undefined) {
      if (va.value === undefined || vb.value === undefined || va.value === vb.value) return;
      this.report({
        severity: 'error',
        code: 'expert-mismatch',
        message: `${what}: \`${b}\` has ${name} ${show(vb.value)} but \`${a}\` has ${show(va.value)}; ${must} ${name}`,
        range: vb.range,
        related: [{ message: `${name} of \`${a}\``, range: va.range }],
      });
      return;
    }
    const [setId, set, unsetId] = va !== undefined ? [a, va, b] : [b, vb as WithValue, a];
    if (set.value === undefined) return;
    const range = this.nodeRange(unsetId);
    this.report({
      severity: 'error',
      code: 'expert-mismatch',
      message: `${what}: \`${setId}\` sets ${name} ${show(set.value)} but \`${unsetId}\` leaves it to the model folder's default; ${must} ${name}`,
      ...(range
        ? { range, related: [{ message: `${name} of \`${setId}\``, range: set.range }] }
        : { range: set.range }),
      suggestion: `set ${name}: ${show(set.value)} on \`${unsetId}\` too`,
    });
  }

  strength(id: NodeId): { value: number; at: WithValue | undefined } | undefined {
    const v = this.value(id, ['strength']);
    if (v === undefined) return { value: DEFAULT_STRENGTH, at: undefined };
    return typeof v.value === 'number' ? { value: v.value, at: v } : undefined;
  }

  timesteps(id: NodeId): number {
    const v = this.value(id, ['noise_schedule', 'num_train_timesteps'])?.value;
    return typeof v === 'number' ? v : DEFAULT_TIMESTEPS;
  }

  /**
   * The experts' shared cutoff int(s·N) (SimpleTuner's int(), so 0.3515 → 351), or undefined when unknown or
   * when they differ (reported). Strengths are compared as that integer, not as floats.
   */
  strengths(pair: Pair): Shared | undefined {
    const b = this.strength(pair.base);
    const r = this.strength(pair.refiner);
    if (!b || !r) return undefined;
    const n = this.timesteps(pair.base);
    const cb = expertCutoff(b.value, n);
    const cr = expertCutoff(r.value, n);
    if (cb === cr) return { strength: b.value, cutoff: cb, n };
    const gap =
      cb > cr
        ? `timesteps ${cr}…${cb - 1} belong to neither expert`
        : `timesteps ${cb}…${cr - 1} belong to both experts`;
    const at = r.at ?? b.at;
    const other = r.at ? b : r;
    const otherId = r.at ? pair.base : pair.refiner;
    this.report({
      severity: 'error',
      code: 'expert-strength',
      message: `strength differs: base \`${pair.base}\` ${b.value} (timesteps ${cb}…${n - 1}), refiner \`${pair.refiner}\` ${r.value} (0…${cr - 1}); ${gap}. The ranges must tile 0…${n - 1}`,
      ...(at ? { range: at.range } : {}),
      ...(other.at ? { related: [{ message: `strength of \`${otherId}\``, range: other.at.range }] } : {}),
      suggestion: 'give both experts the same strength (a pipeline param keeps them together)',
    });
    return undefined;
  }

  consumer(pair: Pair, shared: Shared | undefined): void {
    const c = pair.consumer;
    if (c === undefined) return;
    const step = this.pipeline.nodes.get(c)?.step ?? '';
    for (const path of CONSUMER_SHARED[step] ?? []) {
      this.same(pair.base, c, path, `\`${c}\` and its experts disagree`, `it must use the experts'`);
    }
    if (shared === undefined) return;
    const { strength, cutoff, n } = shared;
    if (step === 'compose.inference') {
      const v = this.value(c, ['split']);
      const split = v === undefined ? DEFAULT_SPLIT : typeof v.value === 'number' ? v.value : undefined;
      // The sampler hands off at int(round(N − split·N)) (half to even); the experts meet at int(s·N).
      if (split === undefined || discreteTimestepCutoff(split, n) === cutoff) return;
      const range = v?.range ?? this.nodeRange(c);
      const handoff = `split ${split}${v ? '' : ' (the default)'} hands off at timestep ${discreteTimestepCutoff(split, n)}, not where the experts meet (${cutoff} = int(${strength}·${n}))`;
      // The split already is 1 − strength: the strength falls between two timesteps, where SimpleTuner's
      // int() and diffusers' rounding part ways; only a strength on the timestep grid fixes that.
      const fine = round(split) === round(1 - strength);
      this.report({
        severity: 'error',
        code: 'compose-split',
        message: fine
          ? `${handoff}: strength ${strength} falls between two of the ${n} timesteps, which training truncates (int) and the sampler's hand-off rounds`
          : `${handoff}: it must equal 1 − strength = ${round(1 - strength)}`,
        ...(range ? { range } : {}),
        suggestion: fine
          ? `use strength ${round(cutoff / n)} (a whole number of timesteps; split 1 − strength then hands off at ${cutoff})`
          : `split: \${{ 1 - params.strength }} (or ${round(1 - strength)})`,
      });
    } else {
      const v = this.value(c, ['strength']);
      if (v !== undefined && typeof v.value !== 'number') return;
      const own = v === undefined ? DEFAULT_STRENGTH : (v.value as number);
      if (expertCutoff(own, n) === cutoff) return;
      const range = v?.range ?? this.nodeRange(c);
      this.report({
        severity: 'error',
        code: 'evaluate-strength',
        message: `strength ${own}${v ? '' : ' (the default)'} differs from the experts' ${strength}: the bands would split at timestep ${expertCutoff(own, n)}, the experts at ${cutoff}`,
        ...(range ? { range } : {}),
        suggestion: `strength: \${{ params.strength }} (or ${strength})`,
      });
    }
  }

  /** The method's advice for zero terminal SNR (Lin et al. 2023; diffusers' docs). */
  zeroSnrAdvice(pair: Pair): void {
    const nodes = [pair.base, pair.refiner, ...(pair.consumer ? [pair.consumer] : [])];
    const zero = nodes
      .map((id) => ({ id, v: this.value(id, ['zero_snr']) }))
      .find((x) => x.v?.value === true);
    if (!zero?.v) return;
    for (const id of [pair.base, pair.refiner]) {
      const prediction = this.value(id, ['prediction_type']);
      if (prediction?.value !== 'epsilon') continue;
      this.report({
        severity: 'warning',
        code: 'zero-snr-epsilon',
        message: `zero-SNR with prediction_type epsilon: at t = 999 the input is pure noise, so predicting the noise says nothing about the image (x₀ = (x − √(1−ᾱ)·ε)/√ᾱ divides by √ᾱ = 0 there; DDIM and DDPM samples become NaN); v_prediction is advised (Lin et al. 2023)`,
        range: prediction.range,
        related: [{ message: `zero_snr of \`${zero.id}\``, range: zero.v.range }],
        suggestion: 'prediction_type: v_prediction',
      });
    }
    for (const id of nodes) {
      const spacing = this.value(id, ['timestep_spacing']);
      if (spacing === undefined || spacing.value === undefined || spacing.value === 'trailing') continue;
      this.report({
        severity: 'warning',
        code: 'zero-snr-spacing',
        message: `zero-SNR with timestep_spacing ${show(spacing.value)}: the sampler never visits the last timestep, the one zero-SNR exists for; trailing is advised`,
        range: spacing.range,
        suggestion: 'timestep_spacing: trailing',
      });
    }
    const c = pair.consumer;
    if (c === undefined || this.pipeline.nodes.get(c)?.step !== 'compose.inference') return;
    const rescale = this.value(c, ['guidance_rescale']);
    const values =
      rescale === undefined
        ? [0]
        : typeof rescale.value === 'number'
          ? [rescale.value]
          : typeof rescale.value === 'object' && rescale.value !== null && !Array.isArray(rescale.value)
            ? ['base', 'refiner'].map((k) => (rescale.value as Record<string, JsonValue>)[k] ?? 0)
            : [];
    if (!values.includes(0)) return;
    const range = rescale?.range ?? this.nodeRange(c);
    this.report({
      severity: 'warning',
      code: 'zero-snr-rescale',
      message: `zero-SNR with guidance_rescale 0${rescale ? '' : ' (the default)'}: images over-expose at high guidance; about 0.7 is advised`,
      ...(range ? { range } : {}),
      related: [{ message: `zero_snr of \`${zero.id}\``, range: zero.v.range }],
      suggestion: 'guidance_rescale: 0.7',
    });
  }
}

const round = (x: number): number => Math.round(x * 1e9) / 1e9;

interface Shared {
  readonly strength: number;
  /** int(strength·n): the refiner trains below it, the base from it. */
  readonly cutoff: number;
  readonly n: number;
}

/** SimpleTuner's and train.expert's cutoff, Python's int() of s·N (0.3515·1000 = 351.5 → 351). */
const expertCutoff = (strength: number, n: number): number => Math.trunc(strength * n);

/** Base and refiner agree; strengths tile the schedule; the sampler hands off where they meet. */
export const expertPairRule: PipelineRule = function expertPairRule(pipeline, ctx) {
  const check = new Checker(pipeline, ctx);
  for (const pair of findPairs(pipeline, ctx)) {
    check.roles(pair);
    // Flow-matching pairs meet at a boundary, not a strength/split; their own rules replace those two.
    const flow = flowPairRules(pipeline, ctx, pair);
    // prediction_type and zero_snr are DDPM settings a flow-matching expert refuses (flow-settings says
    // "remove" at the key): asking the other expert to set them too, or advising on zero-SNR, contradicts it.
    for (const path of SHARED) {
      if (flow.flow && FLOW_REFUSED.includes(dotted(path))) continue;
      check.same(pair.base, pair.refiner, path, 'base and refiner disagree', 'both experts must share');
    }
    for (const d of flow.diagnostics) check.report(d);
    if (!flow.flow) check.consumer(pair, check.strengths(pair));
    if (!flow.flow) check.zeroSnrAdvice(pair);
    for (const d of expertInputRules(pipeline, ctx, pair)) check.report(d);
  }
  return check.diagnostics;
};

/** Every rule of the workflow, for `moe validate` and `moe run`. */
export const workflowRules: readonly PipelineRule[] = [
  expertPairRule,
  backendRule,
  flowSettingsRule,
  composeSizeRule,
];
