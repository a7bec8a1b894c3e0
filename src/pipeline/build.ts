// A parsed YAML tree → a typed `Pipeline`, collecting every problem on the way: schema errors, unknown
// steps, bad `with` blocks, expression errors, unsafe paths, dangling needs and cycles.
import { basename, dirname, extname } from 'node:path';
import type { Diagnostic, SourceRange } from './diagnostic.js';
import { checkExpressions, checkPaths, checkWith, nodesScope } from './checks.js';
import { dropRepeats, readDefaults, withDefaults } from './defaults.js';
import type { Draft, DraftCore, DraftString } from './draft.js';
import { executor, finishNode, nodeSettings, stringList } from './fields.js';
import { analyzeGraph } from './graph.js';
import type { StepLookup } from '../contract/lookup.js';
import type { PipelineRule } from './rule-api.js';
import { entry, toJson } from './node.js';
import type { MapNode, YamlNode } from './node.js';
import { readObjective } from './objective.js';
import { readParams } from './params.js';
import { readSweep } from './sweep.js';
import { stepOutputNames } from './step-paths.js';
import { ruleContext } from './rules.js';
import { compileSchema, schemaDiagnostics } from './schema/validate.js';
import { PIPELINE_SCHEMA } from './schema/structure.js';
import type { SourceFile } from './source.js';
import { didYouMean } from './suggest.js';
import { buildTemplate } from './template.js';
import type { JsonValue, ParamValue, Pipeline, PipelineNode, WithTemplate } from './types.js';
import { nodeId } from '../util/brand.js';
import type { NodeId } from '../util/brand.js';

export interface BuildOptions {
  readonly params: Readonly<Record<string, string>>;
  readonly steps: StepLookup;
  readonly rules: readonly PipelineRule[];
}

export function buildPipeline(
  source: SourceFile,
  root: YamlNode,
  options: BuildOptions,
): { pipeline: Pipeline | undefined; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  diagnostics.push(...structureDiagnostics(source, root, toJson(root)));
  if (root.kind !== 'map') return { pipeline: undefined, diagnostics };

  const params = readParams(mapAt(root, 'params'), options.params, diagnostics);
  const defaultsBlock = entry(root, 'defaults')?.value;
  const defaults = readDefaults(defaultsBlock, options.steps, diagnostics);
  const drafts: Draft[] = [];
  for (const e of mapAt(root, 'nodes')?.entries ?? []) {
    if (e.value.kind !== 'map') continue;
    const node = withDefaults(e.value, defaults);
    drafts.push(draftNode(e.key, e.keyRange, node, source, options.steps, diagnostics));
  }
  const byId = new Map(drafts.map((d) => [d.id, d]));
  const ids = drafts.map((d) => d.id);

  for (const d of drafts) {
    if (d.step !== undefined) d.outputs = stepOutputNames(d.step, d.withNode, d.keyRange, diagnostics);
  }

  const scope = nodesScope(byId, ids);
  for (const d of drafts) checkExpressions(d, scope, params.values, diagnostics);
  for (const d of drafts) checkPaths(d, diagnostics);
  for (const d of drafts) checkWith(d, diagnostics);

  const pipeline = assemble(source, root, drafts, params.values, options, diagnostics);
  runRules(pipeline, drafts, { source, paramRanges: params.ranges }, options.rules, diagnostics);
  return { pipeline, diagnostics: dropRepeats(diagnostics, defaultsBlock) };
}

/** The structure schema's findings on the file (`value` is the file's JSON). */
export function structureDiagnostics(source: SourceFile, root: YamlNode, value: JsonValue): Diagnostic[] {
  const structure = compileSchema(PIPELINE_SCHEMA);
  if ('error' in structure) throw new Error(`the pipeline schema does not compile: ${structure.error}`);
  return schemaDiagnostics(structure, { root, value, path: '', fallback: source.whole() });
}

export function mapAt(m: MapNode | undefined, key: string): MapNode | undefined {
  const v = m === undefined ? undefined : entry(m, key)?.value;
  return v?.kind === 'map' ? v : undefined;
}

/**
 * The pipeline from its drafts, their expressions checked: `needs` checked, the graph ordered (cycles
 * reported), `sweep:` and `objective:` read, the nodes finished.
 */
export function assemble(
  source: SourceFile,
  root: MapNode,
  drafts: readonly DraftCore[],
  params: ReadonlyMap<string, ParamValue>,
  options: BuildOptions,
  diagnostics: Diagnostic[],
): Pipeline {
  const byId = new Map(drafts.map((d) => [d.id, d]));
  const ids = drafts.map((d) => d.id);
  checkNeeds(drafts, byId, ids, diagnostics);
  const { needs, graph } = dependencyGraph(drafts, byId, ids, diagnostics);

  const sweep = readSweep(
    entry(root, 'sweep')?.value,
    params,
    new Set(Object.keys(options.params)),
    diagnostics,
  );
  const objective = readObjective(entry(root, 'objective')?.value, ids, diagnostics);
  const nodes = new Map<NodeId, PipelineNode>();
  for (const d of drafts) nodes.set(nodeId(d.id), finishNode(d, needs.get(d.id) ?? [], source));
  const name = entry(root, 'name')?.value;
  const file = source.file;
  return {
    file,
    dir: dirname(file),
    name:
      name?.kind === 'scalar' && typeof name.value === 'string' ? name.value : basename(file, extname(file)),
    params,
    nodes,
    order: graph.order.map(nodeId),
    plugins: stringList(entry(root, 'plugins')?.value),
    executor: executor(entry(root, 'executor')?.value),
    ...(sweep !== undefined ? { sweep } : {}),
    ...(objective !== undefined ? { objective } : {}),
  };
}

/** `needs:` entries that name the node itself or no node of the pipeline. */
function checkNeeds(
  drafts: readonly DraftCore[],
  byId: ReadonlyMap<string, DraftCore>,
  ids: readonly string[],
  diagnostics: Diagnostic[],
): void {
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
}

/** Each node's upstream nodes (explicit and from references), the order, and every cycle reported. */
function dependencyGraph(
  drafts: readonly DraftCore[],
  byId: ReadonlyMap<string, DraftCore>,
  ids: readonly string[],
  diagnostics: Diagnostic[],
): { needs: Map<string, string[]>; graph: ReturnType<typeof analyzeGraph> } {
  const needs = new Map<string, string[]>();
  for (const d of drafts) {
    const ups = [...new Set(d.edges.map((e) => e.to))].filter((t) => t !== d.id && byId.has(t)).sort();
    needs.set(d.id, ups.slice()); // `filter` leaves room for 16 more
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
  return { needs, graph };
}

/** The cross-node rules of the workflows and plugins, each run over the built pipeline. */
function runRules(
  pipeline: Pipeline,
  drafts: readonly Draft[],
  at: { readonly source: SourceFile; readonly paramRanges: ReadonlyMap<string, SourceRange> },
  rules: readonly PipelineRule[],
  diagnostics: Diagnostic[],
): void {
  if (rules.length > 0) {
    const withNodes = new Map(drafts.map((d) => [nodeId(d.id), d.withNode]));
    const ctx = ruleContext(pipeline, { source: at.source, withNodes, paramRanges: at.paramRanges });
    for (const rule of rules) {
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
}

function suggest(s: string | undefined): { suggestion?: string } {
  return s === undefined ? {} : { suggestion: s };
}

export function draftNode(
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
  const explicitNeeds: { to: string; range: SourceRange }[] = [];
  const needsValue = entry(node, 'needs')?.value;
  if (needsValue?.kind === 'seq') {
    for (const item of needsValue.items) {
      if (item.kind === 'scalar' && typeof item.value === 'string')
        explicitNeeds.push({ to: item.value, range: item.range });
    }
  }
  const withEntry = entry(node, 'with');
  const withNode = withEntry?.value.kind === 'map' ? withEntry.value : undefined;
  const strings: DraftString[] = [];
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
    strings: strings.slice(),
    edges: explicitNeeds.slice(),
    explicitNeeds,
    outputs: undefined,
    settings: nodeSettings(node),
    node,
  };
}
