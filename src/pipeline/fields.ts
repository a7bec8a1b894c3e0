// Reading the typed fields of a node and of the pipeline from the YAML tree. The schema has already
// reported wrong shapes; these take what is usable and fill in defaults.
import type { DraftCore } from './draft.js';
import { entry, toJson } from './node.js';
import type { MapNode, YamlNode } from './node.js';
import type { ExecutorConfig, JsonValue, PipelineNode, Resources, RetryPolicy } from './types.js';
import { PackedNode } from './packed-node.js';
import { packTemplate, unpackTemplate } from './packed-template.js';
import type { SourceFile } from './source.js';
import { parseDuration, parseMemory } from './units.js';
import { nodeId } from '../util/brand.js';

/** The resources and retry policy of a node that sets none, shared by every such node. */
const DEFAULT_RESOURCES: Resources = Object.freeze({ cpu: 1, memoryBytes: undefined, gpu: 0 });
const DEFAULT_RETRY: RetryPolicy = Object.freeze({ limit: 0, backoffMs: 1000 });

/** A node's resources, retry policy and time limit, read from its part of the YAML tree. */
export interface NodeSettings {
  readonly resources: Resources;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
}

const DEFAULT_SETTINGS: NodeSettings = Object.freeze({
  resources: DEFAULT_RESOURCES,
  retry: DEFAULT_RETRY,
  timeoutMs: undefined,
});

export function nodeSettings(node: MapNode): NodeSettings {
  const resources = mapOf(entry(node, 'resources')?.value);
  const retry = mapOf(entry(node, 'retry')?.value);
  const timeout = scalarOf(entry(node, 'timeout')?.value);
  if (resources === undefined && retry === undefined && timeout === undefined) return DEFAULT_SETTINGS;
  const cpu = scalarOf(resources && entry(resources, 'cpu')?.value);
  const memory = scalarOf(resources && entry(resources, 'memory')?.value);
  const gpu = scalarOf(resources && entry(resources, 'gpu')?.value);
  const limit = scalarOf(retry && entry(retry, 'limit')?.value);
  const backoff = scalarOf(retry && entry(retry, 'backoff')?.value);
  return {
    resources:
      resources === undefined
        ? DEFAULT_RESOURCES
        : {
            cpu: typeof cpu === 'number' && cpu > 0 ? cpu : 1,
            memoryBytes:
              typeof memory === 'string' || typeof memory === 'number' ? parseMemory(memory) : undefined,
            gpu: typeof gpu === 'number' && Number.isInteger(gpu) && gpu >= 0 ? gpu : 0,
          },
    retry:
      retry === undefined
        ? DEFAULT_RETRY
        : {
            limit: typeof limit === 'number' && Number.isInteger(limit) && limit >= 0 ? limit : 0,
            backoffMs: (typeof backoff === 'string' ? parseDuration(backoff) : undefined) ?? 1000,
          },
    timeoutMs: typeof timeout === 'string' ? parseDuration(timeout) : undefined,
  };
}

/** The node `d` becomes: its template packed (`PackedNode`) where it can be. */
export function finishNode(d: DraftCore, needs: readonly string[], source: SourceFile): PipelineNode {
  const fields = {
    id: nodeId(d.id),
    step: d.stepName ?? '',
    range: d.keyRange,
    needs: needs.map(nodeId),
    resources: d.settings.resources,
    retry: d.settings.retry,
    timeoutMs: d.settings.timeoutMs,
  };
  const t = d.template;
  // Every range the loader makes is in `source`; a node whose key range is not stays as objects.
  const inFile = source.offsetsOf(d.keyRange) !== undefined;
  const packed = !inFile ? undefined : 'packed' in t ? t.packed : packTemplate(t, source);
  if (packed !== undefined) return new PackedNode(fields, packed, source);
  const template = 'packed' in t ? unpackTemplate(t.packed, source) : t;
  const { id, step, range, needs: edges, resources, retry, timeoutMs } = fields;
  return { id, step, range, needs: edges, with: template, resources, retry, timeoutMs };
}

function mapOf(v: YamlNode | undefined): MapNode | undefined {
  return v?.kind === 'map' ? v : undefined;
}

function scalarOf(v: YamlNode | undefined): JsonValue | undefined {
  return v?.kind === 'scalar' ? v.value : undefined;
}

export function stringList(v: YamlNode | undefined): string[] {
  if (v?.kind !== 'seq') return [];
  return v.items.flatMap((i) => (i.kind === 'scalar' && typeof i.value === 'string' ? [i.value] : []));
}

export function executor(v: YamlNode | undefined): ExecutorConfig | undefined {
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
