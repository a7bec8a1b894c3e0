// Where planning and running look up committed results: the pipeline's index first (it already holds
// the records of the last run, so most lookups read no file), then the store.
import type { Digest, NodeId } from '../util/brand.js';
import { nodeId } from '../util/brand.js';
import type { RecordSource } from './plan.js';
import type { NodeRecord } from './records.js';
import type { ReadIndex, Store } from './store.js';

export function recordSource(store: Store, index: ReadIndex | undefined): RecordSource {
  const last: Readonly<Record<string, NodeRecord>> = index?.nodes ?? {};
  const damaged = index?.damaged;
  const indexed = new Map(Object.values(last).map((r) => [r.fingerprint, r]));
  let byOrigin: Map<string, [NodeId, NodeRecord][]> | undefined;
  return {
    byFingerprint: (fp: Digest) => indexed.get(fp) ?? store.readRecord(fp),
    last: (id: NodeId) => last[id],
    related: (origin: NodeId) => {
      if (byOrigin === undefined) {
        byOrigin = new Map();
        for (const [id, r] of Object.entries(last)) {
          const name = id.replace(/\[.*$/, '');
          byOrigin.set(name, [...(byOrigin.get(name) ?? []), [nodeId(id), r]]);
        }
      }
      return byOrigin.get(origin) ?? [];
    },
    unreadable: (id: NodeId) => damaged === true || (damaged?.includes(id) ?? false),
    hasOutputs: (r: NodeRecord) => store.hasOutputs(r),
    outputsProblem: (r: NodeRecord) => store.outputsProblem(r),
  };
}
