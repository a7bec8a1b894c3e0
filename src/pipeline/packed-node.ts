// A loaded node whose `with` template is held packed (src/pipeline/packed-template.ts) and built again each
// time it is read. It reads, and writes as JSON, like the plain object the loader made before: the same
// fields in the same order. A copy made by spreading it leaves `with` out (it is a getter on the class):
// copy it by name (`{ ...node, with: node.with }`).
import type { SourceRange } from './diagnostic.js';
import { unpackTemplate } from './packed-template.js';
import type { SourceFile } from './source.js';
import type { PipelineNode, Resources, RetryPolicy, WithTemplate } from './types.js';
import type { NodeId } from '../util/brand.js';

export interface NodeFields {
  readonly id: NodeId;
  readonly step: string;
  readonly range: SourceRange;
  readonly needs: readonly NodeId[];
  readonly resources: Resources;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
}

export class PackedNode implements PipelineNode {
  readonly id: NodeId;
  readonly step: string;
  readonly range: SourceRange;
  readonly needs: readonly NodeId[];
  readonly resources: Resources;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  readonly #packed: string;
  readonly #source: SourceFile;

  constructor(fields: NodeFields, packed: string, source: SourceFile) {
    this.id = fields.id;
    this.step = fields.step;
    this.range = fields.range;
    this.needs = fields.needs;
    this.resources = fields.resources;
    this.retry = fields.retry;
    this.timeoutMs = fields.timeoutMs;
    this.#packed = packed;
    this.#source = source;
  }

  /** The template, built anew on each read: a caller that reads it often keeps its own copy. */
  get with(): WithTemplate {
    return unpackTemplate(this.#packed, this.#source);
  }

  /** The packed template, for the loaded-pipeline cache. */
  get packedWith(): string {
    return this.#packed;
  }

  /** The offsets of the node's key in the file. */
  offsets(): readonly [start: number, end: number] {
    return this.#source.offsetsOf(this.range) ?? [0, 0];
  }

  toJSON(): PipelineNode {
    const { id, step, range, needs, resources, retry, timeoutMs } = this;
    return { id, step, range, needs, with: this.with, resources, retry, timeoutMs };
  }
}
