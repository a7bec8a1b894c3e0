// What a run keeps of each node's committed result: whole while a selected node downstream is still to
// read it (its outputs' digest for the fingerprint, its paths for the command line, its step, time and
// summary for `ctx.upstream`), then only its fingerprint, which is all the index needs. A 10,000-node
// run kept 3 MB of results it no longer read; a step that asks for its ancestors further up gets theirs
// read back from the record log by that fingerprint.
import type { Digest, NodeId } from '../util/brand.js';
import type { CommittedResult, NodeRecord } from './records.js';
import { isNodeRecord } from './records.js';

/** The fields' objects of `committed`, one per step type. */
const stepFields = new Map<string, Pick<NodeRecord['fields'], 'step'>>();

export class RunResults {
  readonly #results = new Map<NodeId, CommittedResult | Digest>();
  /** How many selected nodes that read each node's result have not finished yet. */
  readonly #readers = new Map<NodeId, number>();
  /** One object for each set of declared output paths, shared by the results that name the same. */
  readonly #paths = new Map<string, NodeRecord['outputs']['paths']>();

  /** `readBack`: a record by its fingerprint, from the record log. */
  constructor(private readonly readBack: (fingerprint: Digest) => CommittedResult | undefined) {}

  /** `node` will read the result of each of `needs` when it runs. */
  expectReader(needs: readonly NodeId[]): void {
    for (const u of needs) this.#readers.set(u, (this.#readers.get(u) ?? 0) + 1);
  }

  /** A result taken from an earlier run: kept as read (the previous index holds it anyway). */
  take(id: NodeId, record: NodeRecord): void {
    this.#results.set(id, record);
  }

  /** A record this run committed: what later nodes and the final outputs read of it. */
  commit(id: NodeId, record: NodeRecord): void {
    this.#results.set(id, this.#committed(record));
  }

  has(id: NodeId): boolean {
    return this.#results.has(id);
  }

  /** A node's result; read back from the record log once trimmed. */
  get(id: NodeId): CommittedResult | undefined {
    const r = this.#results.get(id);
    return typeof r === 'string' ? this.readBack(r) : r;
  }

  /**
   * A node that read `needs` will not run in this run again (committed, cached or failed): each result
   * no other selected node is to read is trimmed to its fingerprint.
   */
  finished(needs: readonly NodeId[]): void {
    for (const u of needs) {
      const left = (this.#readers.get(u) ?? 0) - 1;
      if (left > 0) {
        this.#readers.set(u, left);
        continue;
      }
      this.#readers.delete(u);
      const r = this.#results.get(u);
      if (typeof r === 'object' && !isNodeRecord(r)) this.#results.set(u, r.fingerprint);
    }
  }

  /** Each node's result or, once trimmed, its fingerprint: for the index. */
  entries(): ReadonlyMap<NodeId, CommittedResult | Digest> {
    return this.#results;
  }

  /** The results still held whole: every node's that no node of the run read, the final ones. */
  held(): Map<NodeId, CommittedResult> {
    const held = new Map<NodeId, CommittedResult>();
    for (const [id, r] of this.#results) if (typeof r === 'object') held.set(id, r);
    return held;
  }

  /**
   * What the run keeps of a record it committed: the record log holds the rest, for the index (the store
   * stamp too, which only a later run checks). Nodes of one step mostly declare the same output paths
   * (`{ out: out.txt }`): those share one object.
   */
  #committed(record: NodeRecord): CommittedResult {
    const step = record.fields.step;
    let fields = stepFields.get(step);
    if (fields === undefined) stepFields.set(step, (fields = { step }));
    const { digest, paths } = record.outputs;
    const key = JSON.stringify(paths);
    let same = this.#paths.get(key);
    // Nodes that each name their own paths share nothing: the keys would only add to what is kept.
    if (same === undefined && this.#paths.size < 256) this.#paths.set(key, (same = paths));
    return {
      fingerprint: record.fingerprint,
      fields,
      outputs: { digest, paths: same ?? paths },
      finishedAt: record.finishedAt,
      durationMs: record.durationMs,
      ...(record.summary !== undefined ? { summary: record.summary } : {}),
    };
  }
}
