// Turning a pipeline node into its fingerprint record (for the cache) and its resolved `with` (for the
// run). Both `moe plan` and the scheduler use this, so the plan says exactly what a run will do.
import { isAbsolute, join, relative } from 'node:path';
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type {
  JsonValue,
  Pipeline,
  PipelineNode,
  ResolveContext,
  ResolvedWith,
  WithTemplate,
} from '../pipeline/types.js';
import type { StepDefinition } from '../steps/api.js';
import type { StepLookup } from '../steps/registry.js';
import type { Digest, NodeId } from '../util/brand.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import type { FingerprintRecord } from './fingerprint.js';
import { envValueDigest, fingerprintOf } from './fingerprint.js';
import type { InputDigester } from './input-digests.js';
import { checkRelativePath } from './safe-path.js';
import { paramsRead } from './template-refs.js';

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
}

export interface Evaluation {
  readonly fields: FingerprintRecord;
  readonly fingerprint: Digest;
  readonly step: StepDefinition<JsonValue>;
}

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
  const resolved = ctx.resolve(
    node.with,
    { params: ctx.pipeline.params, env: (name) => ctx.env[name], output },
    { shellFields: new Set(step.shellFields ?? []) },
  );
  return resolved.ok ? resolved : err(resolved.error.map(formatDiagnostic).join('\n'));
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
  const resolved = resolveNodeWith(ctx, node, step.value, outputPlaceholder);
  if (!resolved.ok) return resolved;
  const withValue = resolved.value.value;

  const inputs: Record<string, Digest> = {};
  let declared: readonly string[];
  try {
    declared = step.value.inputs?.(withValue) ?? [];
  } catch (e) {
    return err(`step ${step.value.name} could not list its inputs: ${(e as Error).message}`);
  }
  const digests = await Promise.all(
    declared.map(async (p) => {
      const checked = checkRelativePath(p, 'input', { allowAbsolute: true });
      if (!checked.ok) return checked;
      const abs = isAbsolute(checked.value) ? checked.value : join(ctx.pipeline.dir, checked.value);
      const d = await ctx.digester.digestOf(abs);
      return d === undefined
        ? err(`input ${p} does not exist (${abs})`)
        : ok([displayPath(ctx, abs), d] as const);
    }),
  );
  for (const d of digests) {
    if (!d.ok) return d;
    inputs[d.value[0]] = d.value[1];
  }

  const up: Record<string, Digest> = {};
  for (const id of node.needs) {
    const d = upstream(id);
    if (d === undefined) return err(`upstream ${id} has no committed result`);
    up[id] = d;
  }

  const params: Record<string, string | number | boolean> = {};
  for (const name of paramsRead(node.with)) {
    const v = ctx.pipeline.params.get(name);
    if (v !== undefined) params[name] = v;
  }
  const env: Record<string, Digest | null> = {};
  for (const name of [...resolved.value.envRead].sort()) env[name] = envValueDigest(ctx.env[name]);

  const fields: FingerprintRecord = {
    step: step.value.name,
    stepVersion: step.value.version,
    with: withValue,
    params,
    inputs,
    upstream: up,
    env,
  };
  return ok({ fields, fingerprint: fingerprintOf(fields), step: step.value });
}

function displayPath(ctx: EvalContext, abs: string): string {
  const rel = relative(ctx.pipeline.dir, abs);
  return rel === '' ? '.' : rel.startsWith('..') ? abs : rel;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.range ? `${d.range.file}:${d.range.start.line}:${d.range.start.column}: ` : '';
  return `${where}${d.message}`;
}
