// The `RuleContext` rules read pipelines through: literal `with` values with their ranges, and the value
// of expressions that only read params (so a rule can compare `1 - params.strength` with a split).
import type { SourceRange } from './diagnostic.js';
import type { RuleContext, WithValue } from './rule-api.js';
import { toJson } from './node.js';
import type { MapEntry, YamlNode } from './node.js';
import { resolveWith } from './resolve.js';
import { buildTemplate } from './template.js';
import type { SourceFile } from './source.js';
import type { JsonValue, Pipeline, PipelineNode, ResolveContext } from './types.js';
import type { NodeId } from '../util/brand.js';

export interface RuleSources {
  readonly source: SourceFile;
  /** Each node's `with` block as parsed, undefined when the node has none. */
  readonly withNodes: ReadonlyMap<NodeId, YamlNode | undefined>;
  readonly paramRanges: ReadonlyMap<string, SourceRange>;
}

export function ruleContext(pipeline: Pipeline, sources: RuleSources): RuleContext {
  const byStep = new Map<string, PipelineNode[]>();
  for (const node of pipeline.nodes.values()) {
    const list = byStep.get(node.step) ?? [];
    list.push(node);
    byStep.set(node.step, list);
  }
  // Reading the environment or another node's output makes a value known only at run time: the
  // evaluation then fails, and the rule sees `value: undefined`.
  const runTimeOnly = (): never => {
    throw new Error('known only at run time');
  };
  const staticContext: ResolveContext = { params: pipeline.params, env: runTimeOnly, output: runTimeOnly };
  return {
    withValue(id, path): WithValue | undefined {
      let node = sources.withNodes.get(id);
      let holder: MapEntry | undefined;
      for (const part of path) {
        if (node === undefined) return undefined;
        if (typeof part === 'number') {
          node = node.kind === 'seq' ? node.items[part] : undefined;
          holder = undefined;
        } else {
          holder = node.kind === 'map' ? node.entries.find((e) => e.key === part) : undefined;
          node = holder?.value;
        }
      }
      if (node === undefined) return undefined;
      const raw = toJson(node);
      const resolved = resolveWith(buildTemplate(node, sources.source, []), staticContext, {
        shellFields: new Set(),
      });
      const value: JsonValue | undefined = resolved.ok ? resolved.value.value : undefined;
      return {
        raw,
        value,
        range: node.range,
        ...(holder !== undefined ? { keyRange: holder.keyRange } : {}),
      };
    },
    nodesOfStep: (step) => byStep.get(step) ?? [],
    paramRange: (name) => sources.paramRanges.get(name),
  };
}
