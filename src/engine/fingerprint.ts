// A node's fingerprint: the hash of one canonical record of everything that can change its outputs.
// Two runs with equal records produce the same fingerprint and share a cached result; the per-field diff
// of two records is what `moe plan` prints as the reason a node reruns.
import { sha256Hex } from './hashing.js';
import type { Digest } from '../util/brand.js';
import { digest } from '../util/brand.js';
import type { JsonValue, ParamValue } from '../pipeline/types.js';
import { canonicalJson } from './canonical.js';

export interface FingerprintRecord {
  /** The step type: a different step computes something else. */
  readonly step: string;
  /** The step's version: its author bumps it when the same parameters would now give other outputs. */
  readonly stepVersion: string;
  /**
   * The resolved `with` block, with every `${{ nodes.X.outputs.Y }}` left as a placeholder: upstream paths
   * live in the store under their content digest, which `upstream` already covers, and keeping them out
   * makes the fingerprint independent of where the workspace is.
   */
  readonly with: JsonValue;
  /** The parameters the node's `with` reads, so a changed parameter can be named in `moe plan`. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Content digest of every declared input file or directory (path relative to the pipeline file). */
  readonly inputs: Readonly<Record<string, Digest>>;
  /** Content digest of each upstream node's committed outputs: new upstream bytes mean a rerun. */
  readonly upstream: Readonly<Record<string, Digest>>;
  /** A digest of the value of each environment variable the `with` block reads (`null` when unset). */
  readonly env: Readonly<Record<string, Digest | null>>;
}

/** Bumped when the record's shape or hashing changes, so old records never match new ones. */
const SCHEME = 'moe-fingerprint-v1';

/**
 * The hash of the record's canonical JSON. `withJson`, the canonical JSON of `record.with` when the
 * caller already has it, is spliced in where the record's key order puts it rather than computed again.
 */
export function fingerprintOf(record: FingerprintRecord, withJson = canonicalJson(record.with)): Digest {
  const json =
    `{"env":${canonicalJson(record.env)},"inputs":${canonicalJson(record.inputs)}` +
    `,"params":${canonicalJson(record.params)},"step":${JSON.stringify(record.step)}` +
    `,"stepVersion":${JSON.stringify(record.stepVersion)},"upstream":${canonicalJson(record.upstream)}` +
    `,"with":${withJson}}`;
  return digest(sha256Hex(`${SCHEME}\0${json}`));
}

export function envValueDigest(value: string | undefined): Digest | null {
  return value === undefined ? null : digest(sha256Hex(value));
}

/**
 * Why `next` differs from `prev`, one line per changed field, most telling first:
 * `step command 1 → 2`, `params.strength 0.3 → 0.35`, `input prep.py changed`, `upstream prepare changed`,
 * `env HOME changed`, `with.run changed`. Differences in `with` that a changed parameter or environment
 * variable already explains are not repeated.
 */
export function diffFingerprints(prev: FingerprintRecord, next: FingerprintRecord): string[] {
  const reasons: string[] = [];
  if (prev.step !== next.step) reasons.push(`step ${prev.step} → ${next.step}`);
  else if (prev.stepVersion !== next.stepVersion) {
    reasons.push(`step ${next.step} version ${prev.stepVersion} → ${next.stepVersion}`);
  }
  const paramReasons = diffMaps(prev.params, next.params, (k, a, b) => {
    if (a === undefined) return `params.${k} now used (${show(b)})`;
    if (b === undefined) return `params.${k} no longer used`;
    return `params.${k} ${show(a)} → ${show(b)}`;
  });
  reasons.push(...paramReasons);
  reasons.push(
    ...diffMaps(prev.inputs, next.inputs, (k, a, b) => {
      if (a === undefined) return `input ${k} added`;
      if (b === undefined) return `input ${k} removed`;
      return `input ${k} changed`;
    }),
  );
  reasons.push(
    ...diffMaps(prev.upstream, next.upstream, (k, a, b) => {
      if (a === undefined) return `upstream ${k} added`;
      if (b === undefined) return `upstream ${k} removed`;
      return `upstream ${k} changed`;
    }),
  );
  const envReasons = diffMaps(prev.env, next.env, (k) => `env ${k} changed`);
  reasons.push(...envReasons);
  if (paramReasons.length === 0 && envReasons.length === 0) {
    const withChanges: string[] = [];
    diffJson('with', prev.with, next.with, withChanges);
    reasons.push(...withChanges);
  }
  if (reasons.length === 0 && fingerprintOf(prev) !== fingerprintOf(next))
    reasons.push('fingerprint scheme changed');
  return reasons;
}

function diffMaps<V>(
  a: Readonly<Record<string, V>>,
  b: Readonly<Record<string, V>>,
  describe: (key: string, before: V | undefined, after: V | undefined) => string,
): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: string[] = [];
  for (const k of keys) {
    const before = Object.hasOwn(a, k) ? a[k] : undefined;
    const after = Object.hasOwn(b, k) ? b[k] : undefined;
    if (before !== after) out.push(describe(k, before, after));
  }
  return out;
}

const MAX_SHOWN = 40;

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s;
}

function diffJson(path: string, a: JsonValue | undefined, b: JsonValue | undefined, out: string[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  const isObj = (v: JsonValue | undefined): v is Readonly<Record<string, JsonValue>> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) diffJson(`${path}.${k}`, a[k], b[k], out);
    return;
  }
  if (a === undefined) out.push(`${path} added`);
  else if (b === undefined) out.push(`${path} removed`);
  else if (typeof a === 'object' || typeof b === 'object') out.push(`${path} changed`);
  else out.push(`${path} ${show(a)} → ${show(b)}`);
}
