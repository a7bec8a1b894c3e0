// The workspace layout under `.moe/` (beside the pipeline file, or `--workspace DIR`). One place names
// every path so the store, the lock, gc and `moe status` agree.
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';

export interface Workspace {
  readonly root: string;
  /** Committed outputs, one directory per content digest. */
  readonly store: string;
  /** One record per fingerprint; a node is done exactly when its record exists. */
  readonly records: string;
  /** Per pipeline, the last committed record of every node (what `moe plan` diffs against). */
  readonly index: string;
  /** Outputs of running attempts, before they are committed. */
  readonly staging: string;
  /** Per-fingerprint checkpoint directories, kept until the node commits. */
  readonly checkpoints: string;
  /** Per-step-type caches the steps manage themselves. */
  readonly cache: string;
  readonly tmp: string;
  /** Run journals (`<runId>.jsonl`) and node logs (`<runId>/<node>.log`). */
  readonly runs: string;
  readonly lockFile: string;
  /** Digests of input files keyed by path, size and mtime, so unchanged inputs are not re-read. */
  readonly statCache: string;
}

export function workspaceAt(root: string): Workspace {
  return {
    root,
    store: join(root, 'store'),
    records: join(root, 'records'),
    index: join(root, 'index'),
    staging: join(root, 'staging'),
    checkpoints: join(root, 'checkpoints'),
    cache: join(root, 'cache'),
    tmp: join(root, 'tmp'),
    runs: join(root, 'runs'),
    lockFile: join(root, 'lock'),
    statCache: join(root, 'cache', 'inputs.json'),
  };
}

/**
 * A file-name-safe key for one pipeline file: its base name (readable in `ls`) and a short hash of its
 * absolute path (two `pipeline.yaml` files sharing a workspace stay apart).
 */
export function pipelineKey(file: string): string {
  const short = createHash('sha256').update(file).digest('hex').slice(0, 12);
  return `${safeName(basename(file).replace(/\.ya?ml$/i, ''))}-${short}`;
}

/**
 * A node id or other user text as one path segment that cannot escape its directory, and short enough
 * for a file name (255 bytes) with a suffix: a sweep over a long text parameter (a prompt) names its
 * variants `gen[prompt=…]`, whose log file could not be created. A longer name keeps its first
 * characters and a hash of the whole.
 */
export function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_');
  if (cleaned.length > MAX_NAME) {
    const short = createHash('sha256').update(name).digest('hex').slice(0, 16);
    return `${cleaned.slice(0, MAX_NAME - 17)}-${short}`;
  }
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? `_${cleaned}` : cleaned;
}

/** The longest `safeName`: room for `latest-`, `-<hash>.json` or `.log` around it. */
const MAX_NAME = 200;

export function recordPath(ws: Workspace, fingerprint: string): string {
  return join(ws.records, fingerprint.slice(0, 2), `${fingerprint}.json`);
}

export function storePath(ws: Workspace, outputsDigest: string): string {
  // A digest is one plain path segment: no join (and its normalising) for each of a rerun's nodes.
  return DIGEST.test(outputsDigest) ? `${ws.store}/${outputsDigest}` : join(ws.store, outputsDigest);
}

const DIGEST = /^[0-9a-f]{64}$/;

export function indexPath(ws: Workspace, key: string): string {
  return join(ws.index, `${key}.json`);
}

export function nodeLogPath(ws: Workspace, runId: string, node: string): string {
  return join(ws.runs, runId, `${safeName(node)}.log`);
}

export function journalPath(ws: Workspace, runId: string): string {
  return join(ws.runs, `${runId}.jsonl`);
}
