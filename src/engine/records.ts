// The record that marks a node as done: written last, atomically, after its outputs are in the store.
import type { Digest } from '../util/brand.js';
import type { FingerprintRecord } from './fingerprint.js';

export interface NodeRecord {
  readonly format: 1;
  readonly fingerprint: Digest;
  /** The node and pipeline that produced it (the same fingerprint elsewhere reuses it). */
  readonly node: string;
  readonly pipeline: string;
  readonly fields: FingerprintRecord;
  readonly outputs: {
    /** Content digest of the whole output tree; the store directory's name. */
    readonly digest: Digest;
    /** Output name → path inside the output tree. */
    readonly paths: Readonly<Record<string, string>>;
    /**
     * The store entry's size-and-time stamp at commit (see `treeStamp`): a cheap check on every use that
     * nobody changed the stored files since. Absent in records written before it existed.
     */
    readonly stamp?: string;
  };
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly summary?: Readonly<Record<string, number | string | boolean>>;
  /** The step's metrics (`loss.composed.full`, …): what `moe compare` reads. */
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * What a run keeps of a node it committed, until its end: what the nodes downstream and the final
 * outputs read. The record itself is in the record log, from which the index copies it (a whole record
 * per node, its fingerprint's fields above all, was 1 KB of a 10,000-node run's memory). A `NodeRecord`
 * is one too: results taken from earlier runs stay as read.
 */
export interface CommittedResult {
  readonly fingerprint: Digest;
  readonly fields: Pick<FingerprintRecord, 'step'>;
  /** Without the stamp: a result this run committed is not checked against the store again. */
  readonly outputs: Pick<NodeRecord['outputs'], 'digest' | 'paths'>;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly summary?: NodeRecord['summary'];
}

export function isNodeRecord(v: unknown): v is NodeRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<NodeRecord>;
  return (
    r.format === 1 &&
    typeof r.fingerprint === 'string' &&
    typeof r.node === 'string' &&
    typeof r.fields === 'object' &&
    typeof r.outputs === 'object' &&
    r.outputs !== null &&
    typeof r.outputs.digest === 'string'
  );
}
