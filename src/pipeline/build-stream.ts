// The loader's way for a file without problems: each node is built as the YAML reader hands it over, and
// its part of the tree is dropped at once, so a large file's tree is never whole beside the pipeline
// (10,000 nodes: a 15 MB tree). It runs the same checks as `buildPipeline`, those across nodes once all
// are read; at the first problem of any kind, or YAML the simple reader leaves to the full parser, it
// gives up and the caller builds the file with `buildPipeline`, which reports every problem with its
// place as before.
import type { BuildOptions } from './build.js';
import { assemble, draftNode, mapAt, structureDiagnostics } from './build.js';
import { checkExpressions, checkPaths, checkWith } from './checks.js';
import type { NodesScope } from './checks.js';
import { readDefaults, withDefaults } from './defaults.js';
import type { StepDefaults } from './defaults.js';
import type { Diagnostic } from './diagnostic.js';
import type { DraftCore } from './draft.js';
import { defineKey, entry, toJson } from './node.js';
import type { MapEntry, YamlNode } from './node.js';
import { readParams } from './params.js';
import type { ParamsResult } from './params.js';
import type { SourceFile } from './source.js';
import { stepOutputNames } from './step-paths.js';
import { packTemplate } from './packed-template.js';
import type { JsonValue, Pipeline, WithTemplate } from './types.js';
import { parseSimpleYaml } from './yaml-simple.js';
import type { YamlLimits } from './yaml.js';

/** `template` packed, or itself when it cannot be packed. */
function packedOr(template: WithTemplate, source: SourceFile): DraftCore['template'] {
  const packed = packTemplate(template, source);
  return packed === undefined ? template : { packed };
}

const NO_STRINGS: DraftCore['strings'] = Object.freeze([]);

/** Thrown from inside the reader's callback to stop at the first problem. */
const GIVE_UP = Symbol('give up');

/**
 * The pipeline of a file in which the loader finds no problem at all (no error, no warning), built node
 * by node; undefined when it cannot be built this way or has a problem (then `buildPipeline` reports it).
 * The file must be plain block YAML with its `params:` and `defaults:`, if any, before `nodes:`, and no
 * cross-node rules may apply (rules read `with` values from the tree).
 */
export function buildStreamed(
  source: SourceFile,
  options: BuildOptions,
  limits: YamlLimits,
): Pipeline | undefined {
  if (options.rules.length > 0 || settingsAfterNodes(source.text)) return undefined;
  const reader = new NodeReader(source, options);
  let root: YamlNode | undefined;
  try {
    root = parseSimpleYaml(
      source,
      { maxValues: limits.maxValues ?? 2_000_000, maxDepth: limits.maxDepth ?? 64 },
      { start: (before) => reader.start(before), node: (e) => reader.node(e) },
    );
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
  if (root?.kind !== 'map') return undefined;
  return reader.finish(root);
}

/** Whether a root `params:` or `defaults:` line follows the `nodes:` line (a quick look; `finish` checks). */
function settingsAfterNodes(text: string): boolean {
  const nodes = /^nodes[ \t]*:/m.exec(text);
  if (nodes === null) return false;
  const after = /^(?:params|defaults)[ \t]*:/m;
  return after.test(text.slice(nodes.index));
}

class NodeReader {
  private readonly diagnostics: Diagnostic[] = [];
  private params: ParamsResult | undefined;
  private defaults: StepDefaults = new Map();
  /** The root's keys read before `nodes:`. */
  private before = new Set<string>();
  private readonly drafts: DraftCore[] = [];
  /** The JSON of each node as written, for the structure schema at the end. */
  private readonly json: Record<string, JsonValue> = {};
  /** Each output an expression reads, as node id and output name one after the other. */
  private readonly reads: string[] = [];
  /**
   * While a node is checked alone, every node it names is taken to exist with the output it reads; those
   * are noted and checked once every node is known.
   */
  private readonly anyNode: NodesScope = {
    nodeIds: [],
    hasNode: () => true,
    outputsOf: (id, output) => {
      this.reads.push(id, output);
      return undefined;
    },
    nodeRange: () => undefined,
  };

  constructor(
    private readonly source: SourceFile,
    private readonly options: BuildOptions,
  ) {}

  start(before: readonly MapEntry[]): void {
    const node = (key: string): YamlNode | undefined => before.find((e) => e.key === key)?.value;
    this.before = new Set(before.map((e) => e.key));
    const params = node('params');
    this.params = readParams(
      params?.kind === 'map' ? params : undefined,
      this.options.params,
      this.diagnostics,
    );
    this.defaults = readDefaults(node('defaults'), this.options.steps, this.diagnostics);
    this.check();
  }

  node(e: MapEntry): void {
    const { source, options, diagnostics } = this;
    if (this.params === undefined || e.value.kind !== 'map') throw GIVE_UP;
    defineKey(this.json, e.key, toJson(e.value));
    const d = draftNode(
      e.key,
      e.keyRange,
      withDefaults(e.value, this.defaults),
      source,
      options.steps,
      diagnostics,
    );
    if (d.step !== undefined) d.outputs = stepOutputNames(d.step, d.withNode, d.keyRange, diagnostics);
    // The expressions' types for `checkWith`, and the edges; the nodes they name are checked at the end.
    checkExpressions(d, this.anyNode, this.params.values, diagnostics);
    checkPaths(d, diagnostics);
    checkWith(d, diagnostics);
    this.check();
    this.drafts.push({
      id: d.id,
      keyRange: d.keyRange,
      stepName: d.stepName,
      step: d.step,
      // Held packed until the pipeline is assembled (a quarter of the memory), or as it is if it cannot be.
      template: packedOr(d.template, source),
      // Checked already: the strings and their YAML scalars are not kept.
      strings: NO_STRINGS,
      edges: d.edges,
      explicitNeeds: d.explicitNeeds,
      outputs: d.outputs,
      settings: d.settings,
    });
  }

  finish(root: YamlNode & { kind: 'map' }): Pipeline | undefined {
    const { params, diagnostics, drafts } = this;
    // `nodes:` was not handed over (a flow map), or `params:`/`defaults:` came after it.
    if (params === undefined || mapAt(root, 'nodes')?.entries.length !== 0) return undefined;
    if (['params', 'defaults'].some((k) => entry(root, k) !== undefined && !this.before.has(k)))
      return undefined;
    const value = { ...(toJson(root) as Record<string, JsonValue>) };
    value['nodes'] = this.json;
    diagnostics.push(...structureDiagnostics(this.source, root, value));
    if (!this.readsDeclared()) return undefined;
    const pipeline = assemble(this.source, root, drafts, params.values, this.options, diagnostics);
    return diagnostics.length === 0 ? pipeline : undefined;
  }

  /** Whether every output an expression reads is one its node declares (or its node cannot say). */
  private readsDeclared(): boolean {
    const byId = new Map(this.drafts.map((d) => [d.id, d]));
    const reads = this.reads;
    for (let i = 0; i < reads.length; i += 2) {
      const node = byId.get(reads[i] as string);
      if (node === undefined || node.outputs?.includes(reads[i + 1] as string) === false) return false;
    }
    return true;
  }

  private check(): void {
    if (this.diagnostics.length > 0) throw GIVE_UP;
  }
}
