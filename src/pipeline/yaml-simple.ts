// A fast reader for the plain YAML that pipelines are written in: block maps and lists, one-line flow
// maps and lists, plain and quoted one-line scalars, comments. It builds the same `YamlNode` tree, with
// the same ranges, as the full parser (the `yaml` package) and our converter, at a fraction of the cost
// (on a 10,000-node file the full parser was most of `moe plan`), and literal block scalars (`|`, `|-`).
// Anything else — anchors, aliases, tags, folded scalars, multi-line plain scalars or flow collections,
// merge keys, duplicate keys, tabs,
// directives, anything malformed — makes it give up, and the full parser reads the file and reports
// the problems as before. test/pipeline/yaml-simple.test.ts checks both readers agree.
import type { MapEntry, MapNode, ScalarNode, SeqNode, YamlNode } from './node.js';
import type { SourceFile } from './source.js';
import type { JsonScalar } from './types.js';

/** Thrown (and caught below) where the text leaves the simple subset. */
const NOT_SIMPLE = Symbol('not simple');

interface Line {
  /** Offset of the first character that is not a space. */
  readonly content: number;
  readonly indent: number;
  /** Offset of the line's `\n` (or the end of the text). */
  readonly end: number;
}

interface Limits {
  readonly maxValues: number;
  readonly maxDepth: number;
}

/**
 * Takes the entries of the root's `nodes:` block as they are read, instead of the tree keeping them: the
 * loader builds each node and drops its part of the tree, so a large file's tree is never whole. The
 * root's `nodes` map is then left with no entries. Only a block map under `nodes:` is handed over this
 * way (a flow map on the key's line stays in the tree).
 */
export interface NodeStream {
  /** Called as the `nodes:` block starts, with the root's entries read before it. */
  start(before: readonly MapEntry[]): void;
  /** Each entry of `nodes:`, in file order, once it has been read. */
  node(entry: MapEntry): void;
}

/** The document's tree, or undefined when the full parser must read it. */
export function parseSimpleYaml(
  source: SourceFile,
  limits: Limits,
  stream?: NodeStream,
): YamlNode | undefined {
  const text = source.text;
  if (/[\t\r\uFEFF]/.test(text)) return undefined;
  // The yaml package stretches the innermost open block over an indented comment that ends the document;
  // rather than model that rule, such rare files go to it.
  if (/\n {1,}#[^\n]*\n*$/.test(text)) return undefined;
  try {
    return new Reader(source, limits, stream).document();
  } catch (e) {
    if (e === NOT_SIMPLE) return undefined;
    throw e;
  }
}

function give(): never {
  throw NOT_SIMPLE;
}

const SPACE = 0x20;
const HASH = 0x23;
const COLON = 0x3a;
const PIPE = 0x7c;
/** Characters a plain scalar or key may not start with. */
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`'.split('').map((c) => c.charCodeAt(0)));
const FLOW_STOP = new Set([0x2c, 0x5b, 0x5d, 0x7b, 0x7d]); // , [ ] { }

/**
 * The lines that hold content, three numbers each in one typed array: an object per line was 3 MB of
 * a 10,000-node file's load, kept past the parse until a full collection. `at` makes a short-lived one.
 */
class Lines {
  private readonly packed: Int32Array;
  length = 0;

  constructor(most: number) {
    this.packed = new Int32Array(3 * most);
  }

  push(line: Line): void {
    this.set(this.length++, line);
  }

  set(i: number, line: Line): void {
    this.packed[3 * i] = line.content;
    this.packed[3 * i + 1] = line.indent;
    this.packed[3 * i + 2] = line.end;
  }

  at(i: number): Line | undefined {
    if (i >= this.length) return undefined;
    const p = this.packed;
    return { content: p[3 * i] as number, indent: p[3 * i + 1] as number, end: p[3 * i + 2] as number };
  }
}

class Reader {
  private readonly text: string;
  private readonly lines: Lines;
  private li = 0;
  private values = 0;
  /** Set just before the root's `nodes:` block map is read: that map hands its entries to the stream. */
  private streamNext = false;

  constructor(
    private readonly source: SourceFile,
    private readonly limits: Limits,
    private readonly stream?: NodeStream,
  ) {
    const text = source.text;
    this.text = text;
    let most = 1;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) most++;
    this.lines = new Lines(most);
    for (let start = 0; start < text.length;) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      let content = start;
      while (content < end && text.charCodeAt(content) === SPACE) content++;
      if (content < end && text.charCodeAt(content) !== HASH) {
        if (content === start && /^(?:---|\.\.\.)(?: |$)/.test(text.slice(start, start + 4))) give();
        if (text.charCodeAt(content) === 0x25 && content === start) give(); // a %directive
        this.lines.push({ content, indent: content - start, end });
      }
      start = end + 1;
    }
  }

  document(): YamlNode {
    const first = this.lines.at(0);
    if (first === undefined || first.indent !== 0 || this.isSeqItem(first)) give();
    const root = this.map(0, 0);
    if (this.li !== this.lines.length) give();
    return root;
  }

  /** The end of a node that closes its line: past the newline, with trailing spaces and comment. */
  private lineNodeEnd(line: Line): number {
    return Math.min(line.end + 1, this.text.length);
  }

  private isSeqItem(line: Line): boolean {
    const t = this.text;
    if (t.charCodeAt(line.content) !== 0x2d) return false;
    const next = line.content + 1;
    return next === line.end || t.charCodeAt(next) === SPACE;
  }

  private count(depth: number, collection: boolean): void {
    if (++this.values > this.limits.maxValues) give();
    if (collection && depth >= this.limits.maxDepth) give();
  }

  private collection(line: Line, depth: number): { node: MapNode | SeqNode; end: number } {
    return this.isSeqItem(line) ? this.seq(line.indent, depth) : this.mapWithEnd(line.indent, depth);
  }

  private map(indent: number, depth: number): MapNode {
    return this.mapWithEnd(indent, depth).node;
  }

  private mapWithEnd(indent: number, depth: number): { node: MapNode; end: number } {
    this.count(depth, true);
    const stream = this.streamNext ? this.stream : undefined;
    // Consumed here, so no map below this one streams.
    this.streamNext = false;
    const entries: MapEntry[] = [];
    const seen = new Set<string>();
    const start = this.current().content;
    let end = start;
    for (;;) {
      const line = this.lines.at(this.li);
      if (line === undefined || line.indent < indent) break;
      if (line.indent > indent || this.isSeqItem(line)) give();
      const key = this.key(line.content, line.end);
      if (seen.has(key.key) || key.key === '<<') give();
      seen.add(key.key);
      let value: YamlNode;
      const after = this.skipSpaces(key.colon + 1, line.end);
      if (after === line.end || this.text.charCodeAt(after) === HASH) {
        this.li++;
        const next = this.lines.at(this.li);
        if (next === undefined) give();
        if (next.indent > indent && (this.isSeqItem(next) || this.startsMapEntry(next.content, next.end))) {
          this.streamNext = depth === 0 && key.key === 'nodes' && !this.isSeqItem(next);
          if (this.streamNext) this.stream?.start(entries);
          const nested = this.collection(next, depth + 1);
          this.streamNext = false;
          value = nested.node;
          end = nested.end;
        } else if (next.indent > indent) {
          // A scalar or flow collection on a line of its own (as Prettier wraps long flow maps).
          if (this.text.charCodeAt(next.content) === PIPE) give();
          value = this.inlineValue(next.content, next.end, depth + 1);
          end = this.lineNodeEnd(next);
          this.li++;
          const after = this.lines.at(this.li);
          if (after !== undefined && after.indent > indent) give();
        } else if (next.indent === indent && this.isSeqItem(next)) {
          const nested = this.seq(indent, depth + 1);
          value = nested.node;
          end = nested.end;
        } else give();
      } else if (this.text.charCodeAt(after) === PIPE) {
        const block = this.literal(after, line, indent, depth + 1);
        value = block.node;
        end = block.end;
      } else {
        value = this.inlineValue(after, line.end, depth + 1);
        end = this.lineNodeEnd(line);
        this.li++;
        const next = this.lines.at(this.li);
        if (next !== undefined && next.indent > indent) give();
      }
      const made = { key: key.key, keyRange: this.source.range(key.start, key.end), value };
      if (stream === undefined) entries.push(made);
      else stream.node(made);
    }
    // Lists are copied to their exact length: `push` leaves room for 16 more (5 MB at 10,000 nodes).
    return { node: { kind: 'map', entries: entries.slice(), range: this.source.range(start, end) }, end };
  }

  private seq(indent: number, depth: number): { node: SeqNode; end: number } {
    this.count(depth, true);
    const items: YamlNode[] = [];
    const start = this.current().content;
    let end = start;
    for (;;) {
      const line = this.lines.at(this.li);
      if (line === undefined || line.indent < indent) break;
      if (line.indent > indent || !this.isSeqItem(line)) give();
      const at = this.skipSpaces(line.content + 1, line.end);
      if (at === line.end || this.text.charCodeAt(at) === HASH) give();
      if (this.isSeqItem({ content: at, indent: 0, end: line.end })) give();
      if (this.startsMapEntry(at, line.end)) {
        // `- key: value` opens a map whose keys line up with `key`.
        const inner: Line = { content: at, indent: at - (line.content - line.indent), end: line.end };
        this.lines.set(this.li, inner);
        const nested = this.mapWithEnd(inner.indent, depth + 1);
        items.push(nested.node);
        end = nested.end;
      } else if (this.text.charCodeAt(at) === PIPE) {
        const block = this.literal(at, line, indent, depth + 1);
        items.push(block.node);
        end = block.end;
      } else {
        items.push(this.inlineValue(at, line.end, depth + 1));
        end = this.lineNodeEnd(line);
        this.li++;
        const next = this.lines.at(this.li);
        if (next !== undefined && next.indent > indent) give();
      }
    }
    return { node: { kind: 'seq', items: items.slice(), range: this.source.range(start, end) }, end };
  }

  /**
   * A literal block scalar (`|`, or `|-` without the final newline) under a node indented `parent`:
   * the more indented lines after it, blank lines included, with their common indentation removed.
   */
  private literal(at: number, line: Line, parent: number, depth: number): { node: ScalarNode; end: number } {
    const t = this.text;
    let h = at + 1;
    const strip = t.charCodeAt(h) === 0x2d;
    if (strip) h++;
    const rest = this.skipSpaces(h, line.end);
    if (rest !== line.end && (t.charCodeAt(rest) !== HASH || rest === h)) give();
    this.count(depth, false);
    const kept: string[] = [];
    let blank = 0;
    let indent = -1;
    let end = at;
    let start = line.end + 1;
    while (start < t.length) {
      let lineEnd = t.indexOf('\n', start);
      if (lineEnd === -1) lineEnd = t.length;
      const content = this.skipSpaces(start, lineEnd);
      if (content === lineEnd) {
        // A blank line: inside the block when more content follows, else after it.
        if (indent !== -1 && lineEnd - start > indent) give();
        if (indent === -1 && lineEnd - start > parent + 1) give();
        blank++;
      } else {
        const n = content - start;
        if (indent === -1) {
          if (n <= parent) give();
          indent = n;
        }
        if (n < indent) break;
        for (; blank > 0; blank--) kept.push('');
        kept.push(t.slice(start + indent, lineEnd));
        end = Math.min(lineEnd + 1, t.length);
      }
      start = lineEnd + 1;
    }
    if (kept.length === 0) give();
    while ((this.lines.at(this.li)?.content ?? end) < end) this.li++;
    const next = this.lines.at(this.li);
    if (next !== undefined && next.indent > parent) give();
    const value = kept.join('\n') + (strip ? '' : '\n');
    return { node: this.scalar(value, at, end), end };
  }

  private current(): Line {
    return this.lines.at(this.li) ?? give();
  }

  private skipSpaces(at: number, end: number): number {
    while (at < end && this.text.charCodeAt(at) === SPACE) at++;
    return at;
  }

  /** Whether a plain scalar may start at `at`: `-`, `?` and `:` may, before a character that is not space. */
  private plainStart(at: number, end: number, flow: boolean): boolean {
    const t = this.text;
    const c = t.charCodeAt(at);
    if (at >= end) return false;
    if (!INDICATORS.has(c)) return true;
    if (c !== 0x2d && c !== 0x3f && c !== COLON) return false;
    const n = t.charCodeAt(at + 1);
    return at + 1 < end && n !== SPACE && !(flow && FLOW_STOP.has(n));
  }

  /** Whether a block map entry (`key: …`) starts at `at`. */
  private startsMapEntry(at: number, end: number): boolean {
    const c = this.text.charCodeAt(at);
    if (c === 0x22 || c === 0x27) {
      const close = this.quoted(at, end, false).end;
      return this.text.charCodeAt(close) === COLON;
    }
    if (!this.plainStart(at, end, false)) return false;
    return this.plainKeyColon(at, end) !== -1;
  }

  /** The `:` that ends a plain key starting at `at` (-1 when the line holds none). */
  private plainKeyColon(at: number, end: number): number {
    const t = this.text;
    for (let i = at; i < end; i++) {
      const c = t.charCodeAt(i);
      if (c === HASH && t.charCodeAt(i - 1) === SPACE) return -1;
      if (c === COLON && (i + 1 === end || t.charCodeAt(i + 1) === SPACE)) return i;
    }
    return -1;
  }

  private key(at: number, end: number): { key: string; start: number; end: number; colon: number } {
    const t = this.text;
    const c = t.charCodeAt(at);
    if (c === 0x22 || c === 0x27) {
      const q = this.quoted(at, end, false);
      if (t.charCodeAt(q.end) !== COLON) give();
      return { key: q.value, start: at, end: q.end, colon: q.end };
    }
    if (!this.plainStart(at, end, false)) give();
    const colon = this.plainKeyColon(at, end);
    if (colon === -1) give();
    let keyEnd = colon;
    while (t.charCodeAt(keyEnd - 1) === SPACE) keyEnd--;
    return { key: this.source.name(String(plainValue(t.slice(at, keyEnd)))), start: at, end: keyEnd, colon };
  }

  /** A value that starts at `at` and is the rest of the line (a trailing comment aside). */
  private inlineValue(at: number, end: number, depth: number): YamlNode {
    const t = this.text;
    const c = t.charCodeAt(at);
    let node: YamlNode;
    let next: number;
    if (c === 0x5b || c === 0x7b) {
      const flow = this.flow(at, end, depth);
      node = flow.node;
      next = flow.end;
    } else if (c === 0x22 || c === 0x27) {
      const q = this.quoted(at, end, true);
      node = this.scalar(q.value, at, q.end);
      next = q.end;
    } else {
      if (!this.plainStart(at, end, false)) give();
      let stop = end;
      for (let i = at; i < end; i++) {
        const d = t.charCodeAt(i);
        if (d === HASH && t.charCodeAt(i - 1) === SPACE) {
          stop = i;
          break;
        }
        if (d === COLON && (i + 1 === end || t.charCodeAt(i + 1) === SPACE)) give();
      }
      while (t.charCodeAt(stop - 1) === SPACE) stop--;
      this.count(depth, false);
      return this.scalar(plainValue(t.slice(at, stop)), at, stop);
    }
    const rest = this.skipSpaces(next, end);
    if (rest !== end && (t.charCodeAt(rest) !== HASH || rest === next)) give();
    return node;
  }

  private scalar(value: JsonScalar, start: number, end: number): ScalarNode {
    return {
      kind: 'scalar',
      value: typeof value === 'string' ? this.source.name(value) : value,
      range: this.source.range(start, end),
      sourceStart: start,
      sourceEnd: end,
    };
  }

  /** A quoted scalar on one line: its value and the offset after the closing quote. */
  private quoted(at: number, end: number, count: boolean): { value: string; end: number } {
    const t = this.text;
    const quote = t.charCodeAt(at);
    let value = '';
    let from = at + 1;
    for (let i = at + 1; i < end; i++) {
      const c = t.charCodeAt(i);
      if (quote === 0x27 && c === 0x27) {
        if (t.charCodeAt(i + 1) === 0x27) {
          value += t.slice(from, i + 1);
          from = i + 2;
          i++;
          continue;
        }
        if (count) this.values++;
        return { value: value + t.slice(from, i), end: i + 1 };
      }
      if (quote === 0x22 && c === 0x5c) {
        const escaped = ESCAPES[t.charAt(i + 1)] ?? give();
        value += t.slice(from, i) + escaped;
        from = i + 2;
        i++;
        continue;
      }
      if (quote === 0x22 && c === 0x22) {
        if (count) this.values++;
        return { value: value + t.slice(from, i), end: i + 1 };
      }
    }
    return give();
  }

  /** A flow map or list that closes on its line. */
  private flow(at: number, end: number, depth: number): { node: MapNode | SeqNode; end: number } {
    this.count(depth, true);
    const t = this.text;
    const isMap = t.charCodeAt(at) === 0x7b;
    const close = isMap ? 0x7d : 0x5d;
    const items: YamlNode[] = [];
    const entries: MapEntry[] = [];
    const seen = new Set<string>();
    let i = this.skipSpaces(at + 1, end);
    if (t.charCodeAt(i) !== close) {
      for (;;) {
        if (isMap) {
          const k = this.flowScalar(i, end, depth + 1, true);
          if (k.node.kind !== 'scalar' || t.charCodeAt(k.end) !== COLON) give();
          const key = String(k.node.value);
          if (seen.has(key) || key === '<<') give();
          seen.add(key);
          const v = this.skipSpaces(k.end + 1, end);
          if (v === k.end + 1 && !(k.quoted && v < end)) give();
          const value = this.flowItem(v, end, depth + 1);
          entries.push({ key, keyRange: k.node.range, value: value.node });
          this.values--; // the key is not a value of its own
          i = this.skipSpaces(value.end, end);
        } else {
          const item = this.flowItem(i, end, depth + 1);
          items.push(item.node);
          i = this.skipSpaces(item.end, end);
        }
        const c = t.charCodeAt(i);
        if (c === close) break;
        if (c !== 0x2c) give();
        i = this.skipSpaces(i + 1, end);
        if (t.charCodeAt(i) === close || t.charCodeAt(i) === 0x2c) give();
      }
    }
    if (i >= end) give();
    const range = this.source.range(at, i + 1);
    const node: MapNode | SeqNode = isMap
      ? { kind: 'map', entries: entries.slice(), range }
      : { kind: 'seq', items: items.slice(), range };
    return { node, end: i + 1 };
  }

  private flowItem(at: number, end: number, depth: number): { node: YamlNode; end: number } {
    const c = this.text.charCodeAt(at);
    if (c === 0x5b || c === 0x7b) return this.flow(at, end, depth);
    const s = this.flowScalar(at, end, depth, false);
    if (this.text.charCodeAt(s.end) === COLON) give(); // `[a: b]` is a map inside a list
    return s;
  }

  /** A scalar inside a flow collection (a key when `key`: it ends at its `:`). */
  private flowScalar(
    at: number,
    end: number,
    depth: number,
    key: boolean,
  ): { node: ScalarNode; end: number; quoted: boolean } {
    const t = this.text;
    const c = t.charCodeAt(at);
    this.count(depth, false);
    if (c === 0x22 || c === 0x27) {
      const q = this.quoted(at, end, false);
      return { node: this.scalar(q.value, at, q.end), end: q.end, quoted: true };
    }
    if (!this.plainStart(at, end, true)) give();
    let i = at;
    for (; i < end; i++) {
      const d = t.charCodeAt(i);
      if (FLOW_STOP.has(d)) break;
      if (d === HASH && t.charCodeAt(i - 1) === SPACE) give();
      if (d === COLON) {
        const n = t.charCodeAt(i + 1);
        if (i + 1 === end || n === SPACE || FLOW_STOP.has(n)) {
          if (!key) give();
          break;
        }
      }
    }
    let stop = i;
    while (t.charCodeAt(stop - 1) === SPACE) stop--;
    if (key && (t.charCodeAt(i) !== COLON || stop !== i)) give();
    return { node: this.scalar(plainValue(t.slice(at, stop)), at, stop), end: stop, quoted: false };
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  ' ': ' ',
};

/** A plain scalar's value under YAML 1.2's core schema, as the `yaml` package resolves it. */
function plainValue(text: string): JsonScalar {
  if (text === '~' || text === 'null' || text === 'Null' || text === 'NULL') return null;
  if (text === 'true' || text === 'True' || text === 'TRUE') return true;
  if (text === 'false' || text === 'False' || text === 'FALSE') return false;
  const c = text.charCodeAt(0);
  // Digits, sign or dot: a number, or a form (0x1F, 0o17, .inf, .nan) left to the full parser.
  if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
    if (/^[-+]?[0-9]+$/.test(text)) return parseInt(text, 10);
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return parseFloat(text);
    if (/^(?:0[ox]|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$)/.test(text)) give();
  }
  return text;
}
