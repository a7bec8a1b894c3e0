// Turning a pipeline node into its fingerprint record (for the cache) and its resolved `with` (for the
// run). Both `moe plan` and the scheduler use this, so the plan says exactly what a run will do.
import { isAbsolute, join, relative } from 'node:path';
import type { EvaluationMemo } from './evaluation-memo.js';
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type {
  JsonValue,
  ParamValue,
  Pipeline,
  PipelineNode,
  ResolveContext,
  ResolvedWith,
  WithTemplate,
} from '../pipeline/types.js';
import type { StepDefinition } from '../contract/step.js';
import type { StepLookup } from '../contract/lookup.js';
import type { Digest, NodeId } from '../util/brand.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { FingerprintRecord } from './fingerprint.js';
import { envValueDigest, fingerprintOf } from './fingerprint.js';
import type { InputDigester } from './input-digests.js';
import { canonicalJson } from './canonical.js';
import { checkRelativePath } from './safe-path.js';
import { paramsRead } from './template-refs.js';
import { thrownMessage } from '../util/thrown.js';

/** The pipeline module's `resolveWith`, passed in so the engine can be tested with a small resolver. */
export type ResolveFn = (
  template: WithTemplate,
  ctx: ResolveContext,
  opts: { readonly shellFields: ReadonlySet<string> },
) => Result<ResolvedWith, Diagnostic[]>;

export interface EvalContext {
  readonly pipeline: Pipeline;
  readonly steps: StepLookup;
  readonly resolve: ResolveFn;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly digester: InputDigester;
  /** What earlier runs of this unchanged pipeline already resolved; filled as nodes are evaluated. */
  readonly memo?: EvaluationMemo | undefined;
}

export interface Evaluation {
  readonly fields: FingerprintRecord;
  readonly fingerprint: Digest;
  readonly step: StepDefinition<JsonValue>;
}

/**
 * What a node's evaluation takes from the pipeline alone, so it is the same on every run of an unchanged
 * file: kept between runs (see `EvaluationMemo`), it spares a cached rerun resolving every `with` block.
 * Nodes that read environment variables are never kept: their `with` depends on the environment.
 */
export interface StaticEvaluation {
  /** Canonical JSON of the resolved `with`, upstream paths left as placeholders. */
  readonly withJson: string;
  /** The parameters the `with` reads, and their values. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** The input paths the step declares for this `with`. */
  readonly inputs: readonly string[];
}

// Most nodes read no parameters and declare no inputs, and share these two instead of an empty object and
// list each (about 90 bytes a node, while a memo read from the workspace holds them).
const NO_PARAMS: Readonly<Record<string, ParamValue>> = Object.freeze({});
const NO_INPUTS: readonly string[] = Object.freeze([]);

/** What stands in for an upstream output path inside the fingerprinted `with`. */
export function outputPlaceholder(node: NodeId, name: string): string {
  return `<nodes.${node}.outputs.${name}>`;
}

export function stepOf(ctx: EvalContext, node: PipelineNode): Result<StepDefinition<JsonValue>, string> {
  const step = ctx.steps.get(node.step);
  return step
    ? ok(step as unknown as StepDefinition<JsonValue>)
    : err(`unknown step type ${JSON.stringify(node.step)}`);
}

export function resolveNodeWith(
  ctx: EvalContext,
  node: PipelineNode,
  step: StepDefinition<JsonValue>,
  output: (node: NodeId, name: string) => string,
): Result<ResolvedWith, string> {
  // A sweep variant's node names upstream nodes as the file does; `upstreamAs` says which stand for them.
  const as = node.upstreamAs;
  const resolved = ctx.resolve(
    node.with,
    {
      params: node.params ?? ctx.pipeline.params,
      env: (name) => ctx.env[name],
      output: as === undefined ? output : (id, name) => output(as[id] ?? id, name),
    },
    { shellFields: shellFieldsOf(step) },
  );
  return resolved.ok ? resolved : err(resolved.error.map(formatDiagnostic).join('\n'));
}

/** Each step's `shellFields` as a set, made once (every node's `with` is resolved twice in a run). */
const shellFieldSets = new WeakMap<StepDefinition<JsonValue>, ReadonlySet<string>>();

function shellFieldsOf(step: StepDefinition<JsonValue>): ReadonlySet<string> {
  let set = shellFieldSets.get(step);
  if (set === undefined) shellFieldSets.set(step, (set = new Set(step.shellFields ?? [])));
  return set;
}

/**
 * The node's fingerprint, given the output digests of its upstream nodes. Fails (as a value) when an
 * input is missing or a declared path leaves its directory.
 */
export async function evaluateNode(
  ctx: EvalContext,
  node: PipelineNode,
  upstream: (id: NodeId) => Digest | undefined,
): Promise<Result<Evaluation, string>> {
  const step = stepOf(ctx, node);
  if (!step.ok) return step;
  const memo = ctx.memo;
  let known = memo?.get(node.id);
  let withValue: JsonValue;
  let envRead: readonly string[] = [];
  if (known !== undefined) withValue = JSON.parse(known.withJson) as JsonValue;
  else {
    // Placeholders name upstream nodes as the file does, so a variant's node fingerprints like the node.
    const resolved = resolveNodeWith(ctx, node, step.value, (id, name) =>
      outputPlaceholder(node.origin === undefined ? id : originOf(ctx, id), name),
    );
    if (!resolved.ok) return resolved;
    withValue = resolved.value.value;
    envRead = resolved.value.envRead;
    let declared: readonly string[];
    try {
      declared = step.value.inputs?.(withValue) ?? [];
    } catch (e) {
      return err(`step ${step.value.name} could not list its inputs: ${thrownMessage(e)}`);
    }
    if (!Array.isArray(declared) || declared.some((p) => typeof p !== 'string'))
      return err(
        `step ${step.value.name} listed its inputs as ${JSON.stringify(declared) ?? typeof declared}, not a list of paths: its inputs() must return an array of strings`,
      );
    let params: Record<string, ParamValue> = NO_PARAMS;
    for (const name of paramsRead(node.with)) {
      const v = (node.params ?? ctx.pipeline.params).get(name);
      if (v === undefined) continue;
      if (params === NO_PARAMS) params = {};
      params[name] = v;
    }
    known = {
      withJson: canonicalJson(withValue),
      params,
      inputs: declared.length === 0 ? NO_INPUTS : declared,
    };
    if (memo !== undefined && envRead.length === 0) memo.set(node.id, known);
  }
  const declared = known.inputs;

  const inputs: Record<string, Digest> = {};
  // Most nodes declare no inputs: no promises to make and wait for.
  const digests = declared.length === 0 ? [] : await Promise.all(declared.map((p) => inputDigest(ctx, p)));
  for (const d of digests) {
    if (!d.ok) return d;
    inputs[d.value[0]] = d.value[1];
  }

  const up: Record<string, Digest> = {};
  for (const id of node.needs) {
    const d = upstream(id);
    if (d === undefined) return err(`upstream ${id} has no committed result`);
    up[originOf(ctx, id)] = d;
  }

  const env: Record<string, Digest | null> = {};
  for (const name of [...envRead].sort()) env[name] = envValueDigest(ctx.env[name]);

  const fields: FingerprintRecord = {
    step: step.value.name,
    stepVersion: step.value.version,
    with: withValue,
    params: { ...known.params },
    inputs,
    upstream: up,
    env,
  };
  return ok({ fields, fingerprint: fingerprintOf(fields, known.withJson), step: step.value });
}

/** The name the file gives a node: a sweep variant's `base[strength=0.25]` is `base`. */
function originOf(ctx: EvalContext, id: NodeId): NodeId {
  return ctx.pipeline.nodes.get(id)?.origin ?? id;
}

function displayPath(ctx: EvalContext, abs: string): string {
  const rel = relative(ctx.pipeline.dir, abs);
  return rel === '' ? '.' : rel.startsWith('..') ? abs : rel;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.range ? `${d.range.file}:${d.range.start.line}:${d.range.start.column}: ` : '';
  return `${where}${d.message}`;
}

/** A declared input's path as shown and its digest, or why it has none. */
async function inputDigest(ctx: EvalContext, p: string): Promise<Result<readonly [string, Digest], string>> {
  const checked = checkRelativePath(p, 'input', { allowAbsolute: true });
  if (!checked.ok) return checked;
  const abs = isAbsolute(checked.value) ? checked.value : join(ctx.pipeline.dir, checked.value);
  let d: Digest | undefined;
  try {
    d = await ctx.digester.digestOf(abs);
  } catch (e) {
    // Unreadable (permissions, a symlink loop, a FIFO), or gone while it was read.
    return err(`input ${p} cannot be read: ${(e as Error).message}`);
  }
  return d === undefined
    ? err(`input ${p} does not exist (${abs})`)
    : ok([displayPath(ctx, abs), d] as const);
}
