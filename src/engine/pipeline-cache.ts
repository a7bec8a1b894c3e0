// A cache of loaded pipelines, so that rerunning an unchanged pipeline skips YAML parsing, schema
// compilation and validation (most of a cached rerun's time on large pipelines). An entry is keyed by
// everything the loader's result depends on: the file's text, the `--param` overrides, each step type's
// name, version, `with` schema and outputs function, and the loader's own code (its files' sizes and
// mtimes, so editing moe invalidates it).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, SourceRange } from '../pipeline/diagnostic.js';
import type { Expr, ParamValue, Pipeline, PipelineNode, WithTemplate } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import type { StepLookup } from '../contract/lookup.js';
import type { StaticEvaluation } from './evaluate.js';
import { PackedNode } from '../pipeline/packed-node.js';
import type { NodeFields } from '../pipeline/packed-node.js';
import type { SourceFile } from '../pipeline/source.js';
import { writePieces } from '../util/json-chunks.js';
import { updateInBlocks } from '../util/small-blocks.js';
import { removeQuietly } from '../util/remove-quietly.js';
import { readTextInBlocks, scanInBlocks } from '../util/small-blocks.js';

const FORMAT = 'moe-pipeline-cache-v6';
const NEWLINE = 0x0a;

export interface CachedLoad {
  readonly pipeline: Pipeline;
  readonly warnings: readonly Diagnostic[];
}

export function cacheKey(
  file: string,
  text: string,
  params: Readonly<Record<string, string>>,
  steps: StepLookup,
  extra: string,
): string {
  const h = createHash('sha256').update(FORMAT).update('\0').update(file).update('\0');
  updateInBlocks(h, text).update('\0');
  for (const k of Object.keys(params).sort()) h.update(`${k}=${params[k] ?? ''}\0`);
  for (const name of steps.names()) {
    const s = steps.get(name);
    if (!s) continue;
    h.update(`${name}\0${s.version}\0${JSON.stringify(s.withSchema)}\0${String(s.outputs)}\0`);
  }
  h.update(loaderIdentity()).update('\0').update(extra);
  return h.digest('hex');
}

const identities = new Map<string, string>();

/** Sizes and mtimes of the pipeline module's files (in dist/ or src/, wherever this process loads them). */
function loaderIdentity(): string {
  return codeIdentity([join(dirname(fileURLToPath(import.meta.url)), '..', 'pipeline')]);
}

/**
 * What stands for code in a cache key: the names, sizes and mtimes of its files, so editing or rebuilding
 * it changes the key. Each path is a directory (every .js and .ts file under it) or a module without its
 * extension (`…/schema`: its .js file, else its .ts file, whichever this process loads). When a path
 * cannot be read the identity is the time, which no cache entry matches.
 */
export function codeIdentity(paths: readonly string[]): string {
  const id = paths.join('\0');
  const known = identities.get(id);
  if (known !== undefined) return known;
  const parts: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const s = statSync(abs);
      if (s.isDirectory()) walk(abs);
      else if (/\.(js|ts)$/.test(name)) parts.push(`${name}:${s.size}:${s.mtimeMs}`);
    }
  };
  try {
    for (const path of paths) {
      const dir = statSync(path, { throwIfNoEntry: false });
      if (dir?.isDirectory()) {
        walk(path);
        continue;
      }
      const ext = ['.js', '.ts'].find((e) => statSync(`${path}${e}`, { throwIfNoEntry: false })?.isFile());
      if (ext === undefined) throw new Error(`${path}: no such directory or module`);
      const s = statSync(`${path}${ext}`);
      parts.push(`${basename(path)}${ext}:${s.size}:${s.mtimeMs}`);
    }
  } catch {
    parts.push(String(Date.now()));
  }
  const identity = parts.join(',');
  identities.set(id, identity);
  return identity;
}

/**
 * The two maps of a `Pipeline` travel as entry lists: plain JSON parses faster than v8 deserialisation.
 * A node the loader packed (`PackedNode`, every node of a file it read) is stored as its fields, its
 * range as two offsets into the file and its packed template, and read back as the same packed node.
 * Any other node's ranges are stored as six numbers (start line, column, offset, end line, column,
 * offset), and its `with` template as its JSON text, parsed when first read. A cached rerun evaluates
 * nodes from the evaluation memo and reads no template at all. The first line is all of the pipeline
 * but its nodes, which follow one a line.
 */
interface StoredHead {
  readonly pipeline: Omit<Pipeline, 'params' | 'nodes'> & { readonly params: [string, ParamValue][] };
  readonly warnings: readonly Diagnostic[];
  readonly nodeCount: number;
}

/**
 * The entry of `key`, if whole. `source` gives the pipeline file as read (its text is part of the key):
 * the ranges of a node stored packed are offsets into it.
 */
export function readCached(dir: string, key: string, source: () => SourceFile): CachedLoad | undefined {
  try {
    let file: SourceFile | undefined;
    let head: StoredHead | undefined;
    const nodes = new Map<NodeId, PipelineNode>();
    const rest = scanInBlocks(join(dir, `${key}.json`), (bytes) => {
      let start = 0;
      for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
        const line = bytes.toString('utf8', start, end);
        start = end + 1;
        if (head === undefined) head = JSON.parse(line) as StoredHead;
        else {
          const [id, node] = JSON.parse(line) as [NodeId, PipelineNode | StoredPacked];
          if ('packed' in node) nodes.set(id, packedNode(node, (file ??= source())));
          else nodes.set(id, withLazyTemplate(node, head.pipeline.file));
        }
      }
      return start;
    });
    // A file cut short (its last line unfinished, nodes missing) is no entry.
    if (head === undefined || rest.length > 0 || nodes.size !== head.nodeCount) return undefined;
    const pipeline = { ...head.pipeline, params: new Map(head.pipeline.params), nodes };
    return { pipeline, warnings: head.warnings };
  } catch {
    return undefined;
  }
}

/**
 * The file's lines: first the pipeline without its nodes, the warnings and the node count, then each node
 * as `[id, node]`, one a line (JSON holds no raw newline). Neither writing nor reading holds the whole
 * file (7 MB at 10,000 nodes) as one string: a line at a time is parsed and dropped.
 */
function* storedLines(value: CachedLoad): Generator<string> {
  const { nodes, params, ...rest } = value.pipeline;
  const head: StoredHead = {
    pipeline: { ...rest, params: [...params] },
    warnings: value.warnings,
    nodeCount: nodes.size,
  };
  let piece = `${JSON.stringify(head)}\n`;
  const file = value.pipeline.file;
  for (const [id, node] of nodes) {
    const line =
      node instanceof PackedNode
        ? JSON.stringify([id, storedPacked(node)])
        : withPackedRanges(node, file, () =>
            JSON.stringify([id, { ...node, with: JSON.stringify(node.with) }]),
          );
    piece += `${line}\n`;
    if (piece.length >= 1 << 16) {
      yield piece;
      piece = '';
    }
  }
  yield piece;
}

/** Best effort: a cache that cannot be written only costs the next run a full load. */
export function writeCached(dir: string, key: string, value: CachedLoad): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    writePieces(tmp, storedLines(value));
    renameSync(tmp, join(dir, `${key}.json`));
  } catch {
    // Read-only workspace or full disk: carry on uncached, leaving no temporary file.
    removeQuietly(join(dir, `${key}.${process.pid}.tmp`));
  }
}

const MEMO_FORMAT = 'moe-evaluation-memo-v1';

/**
 * The key of a pipeline's evaluation memo: the file, its text, the parameters after overrides, and for
 * every step type the pipeline can use, what shapes its static evaluation (name, version, shell fields,
 * the code listing its inputs), plus the loader's own code.
 */
export function evaluationKey(pipeline: Pipeline, text: string, steps: StepLookup): string {
  const h = createHash('sha256').update(MEMO_FORMAT).update('\0').update(pipeline.file).update('\0');
  updateInBlocks(h, text)
    .update('\0')
    .update(JSON.stringify([...pipeline.params]));
  for (const name of steps.names()) {
    const s = steps.get(name);
    if (!s) continue;
    h.update(`\0${name}\0${s.version}\0${JSON.stringify(s.shellFields ?? [])}\0${String(s.inputs)}`);
  }
  return h.update('\0').update(loaderIdentity()).digest('hex');
}

export function readEvaluations(dir: string, key: string): Record<string, StaticEvaluation> | undefined {
  try {
    return JSON.parse(readTextInBlocks(join(dir, `${key}.json`))) as Record<string, StaticEvaluation>;
  } catch {
    return undefined;
  }
}

/** Best effort, like the pipeline cache. */
export function writeEvaluations(dir: string, key: string, pieces: Iterable<string>): void {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    writePieces(tmp, pieces);
    renameSync(tmp, join(dir, `${key}.json`));
  } catch {
    // Read-only workspace or full disk: the next run evaluates again (no temporary file left).
    removeQuietly(join(dir, `${key}.${process.pid}.tmp`));
  }
}

type Packed = [number, number, number, number, number, number];
/** A range as stored: packed when it points into the pipeline file (all of a node's do). */
type StoredRange = SourceRange | Packed;

// Packing and unpacking follow the node types field by field (a generic walk costs more than the parse
// it saves); they are each other's inverse over every range a node holds (the cache test checks it).

function packRange(r: SourceRange, file: string): StoredRange {
  return r.file === file
    ? [r.start.line, r.start.column, r.start.offset, r.end.line, r.end.column, r.end.offset]
    : r;
}

function unpackRange(r: StoredRange, file: string): SourceRange {
  if (!Array.isArray(r)) return r;
  return {
    file,
    start: { line: r[0], column: r[1], offset: r[2] },
    end: { line: r[3], column: r[4], offset: r[5] },
  };
}

interface Ranged {
  range: StoredRange;
}

/** Calls `visit` on the node and on every expression and template inside its `with`: all that has a range. */
function forEachRanged(node: PipelineNode, visit: (o: Ranged) => void): void {
  visit(node as unknown as Ranged);
  forEachRangedIn(node.with, visit);
}

/** Calls `visit` on a `with` template and on every template and expression inside it. */
function forEachRangedIn(withTemplate: WithTemplate, visit: (o: Ranged) => void): void {
  const expr = (e: Expr): void => {
    visit(e as unknown as Ranged);
    if (e.kind === 'unary') expr(e.arg);
    else if (e.kind === 'binary') {
      expr(e.left);
      expr(e.right);
    } else if (e.kind === 'call') for (const a of e.args) expr(a);
  };
  const template = (t: WithTemplate): void => {
    visit(t as unknown as Ranged);
    if (t.kind === 'interpolated') {
      for (const p of t.parts) if (typeof p !== 'string') expr(p);
    } else if (t.kind === 'list') for (const item of t.items) template(item);
    else if (t.kind === 'map') for (const [, v] of t.entries) template(v);
  };
  template(withTemplate);
}

/**
 * Runs `write` with every range of the node in `file` packed into six numbers in place, then puts the
 * original ranges back: far cheaper than copying a large pipeline to serialise it. One node at a time,
 * so only that node's packed ranges exist at once (all of a 10,000-node pipeline's were 7 MB).
 */
function withPackedRanges<T>(node: PipelineNode, file: string, write: () => T): T {
  const held: Ranged[] = [];
  const saved: StoredRange[] = [];
  const pack = (o: Ranged): void => {
    const packed = packRange(o.range as SourceRange, file);
    if (packed === o.range) return;
    held.push(o);
    saved.push(o.range);
    o.range = packed;
  };
  try {
    forEachRanged(node, pack);
    return write();
  } finally {
    held.forEach((o, i) => (o.range = saved[i] as StoredRange));
  }
}

/** A `PackedNode` as stored: its range as the two offsets into the file, its template as packed. */
interface StoredPacked extends Omit<NodeFields, 'range'> {
  readonly range: readonly [start: number, end: number];
  readonly packed: string;
}

function storedPacked(node: PackedNode): StoredPacked {
  const { id, step, needs, resources, retry, timeoutMs } = node;
  const at = node.offsets();
  return { id, step, range: at, needs, resources, retry, timeoutMs, packed: node.packedWith };
}

function packedNode(stored: StoredPacked, source: SourceFile): PackedNode {
  const { packed, range, ...fields } = stored;
  return new PackedNode({ ...fields, range: source.range(range[0], range[1]) }, packed, source);
}

/**
 * A freshly parsed node as the loader made it: its range unpacked in place (copying would cost what
 * packing saves), and its `with`, stored as JSON text, parsed and unpacked the first time it is read.
 */
function withLazyTemplate(node: PipelineNode, file: string): PipelineNode {
  const stored = node as unknown as Ranged & { with: string };
  stored.range = unpackRange(stored.range, file);
  const text = stored.with;
  Object.defineProperty(node, 'with', {
    configurable: true,
    enumerable: true,
    get(): WithTemplate {
      const template = JSON.parse(text) as WithTemplate;
      forEachRangedIn(template, (o) => void (o.range = unpackRange(o.range, file)));
      Object.defineProperty(node, 'with', {
        value: template,
        writable: true,
        enumerable: true,
        configurable: true,
      });
      return template;
    },
  });
  return node;
}
