// A parsed YAML tree → a typed `Pipeline`, collecting every problem on the way: schema errors, unknown
// steps, bad `with` blocks, expression errors, unsafe paths, dangling needs and cycles.
import { basename, dirname, extname } from 'node:path';
import type { Diagnostic, SourceRange } from './diagnostic.js';
import { checkExpression } from './expr/check.js';
import type { CheckScope, ExprType } from './expr/check.js';
import { analyzeGraph } from './graph.js';
import type { PipelineRule, StepLookup } from './lookup.js';
import { entry, toJson } from './node.js';
import type { MapNode, ScalarNode, YamlNode } from './node.js';
import { readParams } from './params.js';
import { checkStepPaths } from './step-paths.js';
import { ruleContext } from './rules.js';
import { compileSchema, schemaDiagnostics } from './schema/validate.js';
import { PIPELINE_SCHEMA } from './schema/structure.js';
import { shellContexts } from './shell.js';
import type { SourceFile } from './source.js';
import { didYouMean } from './suggest.js';
import { buildTemplate, isSingleExpression, splitParts } from './template.js';
import type { Interpolated } from './template.js';
import type { ExecutorConfig, JsonValue, Pipeline, PipelineNode, WithTemplate } from './types.js';
import { parseDuration, parseMemory } from './units.js';
import { nodeId } from '../util/brand.js';
import type { NodeId } from '../util/brand.js';
import type { StepDefinition } from '../steps/api.js';

export interface BuildOptions {
  readonly params: Readonly<Record<string, string>>;
  readonly steps: StepLookup;
  readonly rules: readonly PipelineRule[];
}

interface Draft {
  readonly id: string;
  readonly keyRange: SourceRange;
  readonly stepName: string | undefined;
  readonly step: StepDefinition<never> | undefined;
  readonly withNode: YamlNode | undefined;
  readonly template: WithTemplate;
  readonly strings: { node: ScalarNode; template: Interpolated; path: readonly (string | number)[] }[];
  /** Edges to prerequisites with the place that declares each (a `needs` item or a reference). */
  readonly edges: { to: string; range: SourceRange }[];
  readonly explicitNeeds: { to: string; range: SourceRange }[];
  outputs: readonly string[] | undefined;
  readonly node: MapNode;
}

export function buildPipeline(
  source: SourceFile,
  root: YamlNode,
  options: BuildOptions,
): { pipeline: Pipeline | undefined; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const structure = compileSchema(PIPELINE_SCHEMA);
  if ('error' in structure) throw new Error(`the pipeline schema does not compile: ${structure.error}`);
  diagnostics.push(
    ...schemaDiagnostics(structure, { root, value: toJson(root), path: '', fallback: source.whole() }),
  );
  if (root.kind !== 'map') return { pipeline: undefined, diagnostics };

  const mapAt = (m: MapNode | undefined, key: string): MapNode | undefined => {
    const v = m === undefined ? undefined : entry(m, key)?.value;
    return v?.kind === 'map' ? v : undefined;
  };
  const params = readParams(mapAt(root, 'params'), options.params, diagnostics);

  const drafts: Draft[] = [];
  for (const e of mapAt(root, 'nodes')?.entries ?? []) {
    if (e.value.kind !== 'map') continue;
    drafts.push(draftNode(e.key, e.keyRange, e.value, source, options.steps, diagnostics));
  }
  const byId = new Map(drafts.map((d) => [d.id, d]));
  const ids = drafts.map((d) => d.id);

  for (const d of drafts) {
    if (d.step !== undefined)
      d.outputs = checkStepPaths(d.step, d.withNode, d.keyRange, source.file, diagnostics);
  }

  for (const d of drafts) checkExpressions(d, byId, ids, params.values, diagnostics);
  for (const d of drafts) checkWith(d, diagnostics);

  for (const d of drafts) {
    for (const need of d.explicitNeeds) {
      if (need.to === d.id) {
        diagnostics.push({
          severity: 'error',
          code: 'self-dependency',
          message: `node \`${d.id}\` needs itself`,
          range: need.range,
        });
      } else if (!byId.has(need.to)) {
        diagnostics.push({
          severity: 'error',
          code: 'unknown-node',
          message: `node \`${d.id}\` needs \`${need.to}\`, which is not a node of this pipeline`,
          range: need.range,
          ...suggest(didYouMean(need.to, ids)),
        });
      }
    }
  }

  const needs = new Map<string, string[]>();
  for (const d of drafts) {
    needs.set(d.id, [...new Set(d.edges.map((e) => e.to))].filter((t) => t !== d.id && byId.has(t)).sort());
  }
  const graph = analyzeGraph({ ids, needs });
  for (const cycle of graph.cycles) {
    const related: { message: string; range: SourceRange }[] = [];
    for (let i = 0; i < cycle.length; i++) {
      const from = cycle[i] ?? '';
      const to = cycle[(i + 1) % cycle.length] ?? '';
      const edge = byId.get(to)?.edges.find((e) => e.to === from);
      if (edge !== undefined)
        related.push({ message: `\`${to}\` needs \`${from}\` here`, range: edge.range });
    }
    const head = cycle[0] ?? '';
    const first = byId.get(head);
    diagnostics.push({
      severity: 'error',
      code: 'cycle',
      message: `cycle: ${[...cycle, head].join(' → ')}`,
      ...(first !== undefined ? { range: first.keyRange } : {}),
      related,
      suggestion: 'remove one of these dependencies',
    });
  }

  const nodes = new Map<NodeId, PipelineNode>();
  for (const d of drafts) nodes.set(nodeId(d.id), finishNode(d, needs.get(d.id) ?? []));
  const name = entry(root, 'name')?.value;
  const file = source.file;
  const pipeline: Pipeline = {
    file,
    dir: dirname(file),
    name:
      name?.kind === 'scalar' && typeof name.value === 'string' ? name.value : basename(file, extname(file)),
    params: params.values,
    nodes,
    order: graph.order.map(nodeId),
    plugins: stringList(entry(root, 'plugins')?.value),
    executor: executor(entry(root, 'executor')?.value),
  };

  if (options.rules.length > 0) {
    const withNodes = new Map(drafts.map((d) => [nodeId(d.id), d.withNode]));
    const ctx = ruleContext(pipeline, { source, withNodes, paramRanges: params.ranges });
    for (const rule of options.rules) {
      // A rule comes from a workflow or plugin: its bug is reported, not thrown at the user.
      try {
        diagnostics.push(...rule(pipeline, ctx));
      } catch (e) {
        diagnostics.push({
          severity: 'error',
          code: 'internal',
          message: `internal error in validation rule ${rule.name || '(anonymous)'}: ${e instanceof Error ? e.message : String(e)}`,
        });
      }
    }
  }
  return { pipeline, diagnostics };
}

function suggest(s: string | undefined): { suggestion?: string } {
  return s === undefined ? {} : { suggestion: s };
}

function draftNode(
  id: string,
  keyRange: SourceRange,
  node: MapNode,
  source: SourceFile,
  steps: StepLookup,
  diagnostics: Diagnostic[],
): Draft {
  const stepValue = entry(node, 'step')?.value;
  const stepName =
    stepValue?.kind === 'scalar' && typeof stepValue.value === 'string' ? stepValue.value : undefined;
  const step = stepName === undefined ? undefined : steps.get(stepName);
  if (stepValue !== undefined && stepName !== undefined && stepName !== '' && step === undefined) {
    const known = steps.names();
    diagnostics.push({
      severity: 'error',
      code: 'unknown-step',
      message: `unknown step type \`${stepName}\``,
      range: stepValue.range,
      ...suggest(
        didYouMean(stepName, known) ??
          (known.length > 0 ? `step types: ${[...known].sort().join(', ')}` : undefined),
      ),
    });
  }
  const explicitNeeds: Draft['explicitNeeds'] = [];
  const needsValue = entry(node, 'needs')?.value;
  if (needsValue?.kind === 'seq') {
    for (const item of needsValue.items) {
      if (item.kind === 'scalar' && typeof item.value === 'string')
        explicitNeeds.push({ to: item.value, range: item.range });
    }
  }
  const withEntry = entry(node, 'with');
  const withNode = withEntry?.value.kind === 'map' ? withEntry.value : undefined;
  const strings: Draft['strings'] = [];
  const template: WithTemplate =
    withNode === undefined
      ? { kind: 'map', entries: [], range: withEntry?.value.range ?? keyRange }
      : buildTemplate(withNode, source, diagnostics, (n, t, path) =>
          strings.push({ node: n, template: t, path }),
        );
  return {
    id,
    keyRange,
    stepName,
    step,
    withNode,
    template,
    strings,
    edges: [...explicitNeeds],
    explicitNeeds,
    outputs: undefined,
    node,
  };
}

const exprTypes = new WeakMap<ScalarNode, ExprType | undefined>();

function checkExpressions(
  d: Draft,
  byId: ReadonlyMap<string, Draft>,
  ids: readonly string[],
  params: CheckScope['params'],
  diagnostics: Diagnostic[],
): void {
  const scope: CheckScope = {
    params,
    nodeIds: ids,
    hasNode: (id) => byId.has(id),
    outputsOf: (id) => byId.get(id)?.outputs,
    nodeRange: (id) => byId.get(id)?.keyRange,
    self: d.id,
  };
  const shellFields = new Set(d.step?.shellFields ?? []);
  for (const s of d.strings) {
    let type: ExprType | undefined = 'string';
    for (const part of s.template.parts) {
      if (typeof part === 'string') continue;
      const result = checkExpression(part, scope);
      diagnostics.push(...result.diagnostics);
      for (const n of result.nodes) d.edges.push({ to: n, range: part.range });
      if (isSingleExpression(s.template.parts)) type = result.type;
    }
    exprTypes.set(s.node, type);
    const top = s.path[0];
    if (typeof top === 'string' && shellFields.has(top)) {
      const { literals, exprs } = splitParts(s.template.parts);
      for (const problem of shellContexts(literals).errors) {
        diagnostics.push({
          severity: 'error',
          code: 'shell-context',
          message: problem.message,
          range: exprs[problem.index]?.range ?? s.node.range,
        });
      }
    }
  }
}

function checkWith(d: Draft, diagnostics: Diagnostic[]): void {
  if (d.step === undefined) return;
  const validate = compileSchema(d.step.withSchema);
  if ('error' in validate) {
    diagnostics.push({
      severity: 'error',
      code: 'step-schema',
      message: `step type \`${d.step.name}\` has a parameter schema that does not compile: ${validate.error}`,
      range: d.keyRange,
    });
    return;
  }
  diagnostics.push(
    ...schemaDiagnostics(validate, {
      root: d.withNode,
      value: d.withNode === undefined ? {} : toJson(d.withNode),
      path: `nodes.${d.id}.with`,
      fallback: d.keyRange,
      expressions: (n) => (exprTypes.has(n) ? { type: exprTypes.get(n) } : undefined),
    }),
  );
}

function finishNode(d: Draft, needs: readonly string[]): PipelineNode {
  const resources = mapOf(entry(d.node, 'resources')?.value);
  const retry = mapOf(entry(d.node, 'retry')?.value);
  const timeout = scalarOf(entry(d.node, 'timeout')?.value);
  const cpu = scalarOf(resources && entry(resources, 'cpu')?.value);
  const memory = scalarOf(resources && entry(resources, 'memory')?.value);
  const gpu = scalarOf(resources && entry(resources, 'gpu')?.value);
  const limit = scalarOf(retry && entry(retry, 'limit')?.value);
  const backoff = scalarOf(retry && entry(retry, 'backoff')?.value);
  return {
    id: nodeId(d.id),
    step: d.stepName ?? '',
    range: d.keyRange,
    needs: needs.map(nodeId),
    with: d.template,
    resources: {
      cpu: typeof cpu === 'number' && cpu > 0 ? cpu : 1,
      memoryBytes: typeof memory === 'string' || typeof memory === 'number' ? parseMemory(memory) : undefined,
      gpu: typeof gpu === 'number' && Number.isInteger(gpu) && gpu >= 0 ? gpu : 0,
    },
    retry: {
      limit: typeof limit === 'number' && Number.isInteger(limit) && limit >= 0 ? limit : 0,
      backoffMs: (typeof backoff === 'string' ? parseDuration(backoff) : undefined) ?? 1000,
    },
    timeoutMs: typeof timeout === 'string' ? parseDuration(timeout) : undefined,
  };
}

function mapOf(v: YamlNode | undefined): MapNode | undefined {
  return v?.kind === 'map' ? v : undefined;
}

function scalarOf(v: YamlNode | undefined): JsonValue | undefined {
  return v?.kind === 'scalar' ? v.value : undefined;
}

function stringList(v: YamlNode | undefined): string[] {
  if (v?.kind !== 'seq') return [];
  return v.items.flatMap((i) => (i.kind === 'scalar' && typeof i.value === 'string' ? [i.value] : []));
}

function executor(v: YamlNode | undefined): ExecutorConfig | undefined {
  if (v === undefined) return undefined;
  const kindOf = (x: JsonValue | undefined): ExecutorConfig['kind'] | undefined =>
    x === 'local' || x === 'slurm' ? x : undefined;
  if (v.kind === 'scalar') {
    const kind = kindOf(v.value);
    return kind === undefined ? undefined : { kind, options: {} };
  }
  if (v.kind !== 'map') return undefined;
  const kind = kindOf(scalarOf(entry(v, 'kind')?.value));
  if (kind === undefined) return undefined;
  const options = toJson(v) as Record<string, JsonValue>;
  const rest: Record<string, JsonValue> = {};
  for (const k of Object.keys(options))
    if (k !== 'kind') Object.defineProperty(rest, k, { value: options[k], enumerable: true });
  return { kind, options: rest };
}
