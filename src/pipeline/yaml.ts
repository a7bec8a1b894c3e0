// YAML text → `YamlNode` tree with positions, guarded against hostile input: duplicate keys are errors,
// aliases expand under a budget (an "alias bomb" stops at once instead of exhausting memory), nesting has
// a depth cap, and the parser's own failures become diagnostics.
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { Document, Node as YNode } from 'yaml';
import type { Diagnostic } from './diagnostic.js';
import type { MapEntry, MapNode, ScalarNode, YamlNode } from './node.js';
import type { SourceFile } from './source.js';
import type { JsonScalar } from './types.js';
import { valueWord } from './schema/words.js';
import { parseSimpleYaml } from './yaml-simple.js';

// The `yaml` package loads only for files the simple reader declines: most runs never need it.
const require = createRequire(import.meta.url);
let yamlModule: typeof YamlModule | undefined;
const yaml = (): typeof YamlModule => (yamlModule ??= require('yaml') as typeof YamlModule);
const isAlias = (n: unknown): n is YamlModule.Alias => yaml().isAlias(n);
const isMap = (n: unknown): n is YamlModule.YAMLMap => yaml().isMap(n);
const isScalar = (n: unknown): n is YamlModule.Scalar => yaml().isScalar(n);
const isSeq = (n: unknown): n is YamlModule.YAMLSeq => yaml().isSeq(n);

export interface YamlLimits {
  /** Values (scalars, lists, maps) after expanding aliases. @default 2_000_000 */
  readonly maxValues?: number;
  /** Nesting of lists and maps. @default 64 */
  readonly maxDepth?: number;
}

export interface ParsedYaml {
  /** Undefined when the text is not usable YAML (the diagnostics say why). */
  readonly root: YamlNode | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

export function parseYaml(source: SourceFile, limits: YamlLimits = {}): ParsedYaml {
  const maxDepth = limits.maxDepth ?? 64;
  const deep =
    bracketDepthOver(source.text, Math.max(4 * maxDepth, 256)) ??
    indentDepthOver(source.text, Math.max(8 * maxDepth, 512));
  if (deep !== undefined) {
    const message = `lists and maps are nested more than ${maxDepth} levels deep`;
    return {
      root: undefined,
      diagnostics: [{ severity: 'error', code: 'too-deep', message, range: source.range(deep, deep + 1) }],
    };
  }
  // Most pipeline files are plain block YAML: read those directly; the full parser takes the rest.
  const simple = parseSimpleYaml(source, { maxValues: limits.maxValues ?? 2_000_000, maxDepth });
  if (simple !== undefined) return { root: simple, diagnostics: [] };
  return parseYamlFully(source, limits);
}

/** `parseYaml` through the `yaml` package alone (exported for the test that compares both readers). */
export function parseYamlFully(source: SourceFile, limits: YamlLimits = {}): ParsedYaml {
  const doc = yaml().parseDocument(source.text, {
    uniqueKeys: false,
    merge: false,
    prettyErrors: false,
    strict: true,
  });
  const diagnostics: Diagnostic[] = [];
  const lines = new Set<number>();
  for (const e of [...doc.errors, ...doc.warnings]) {
    const range = source.range(e.pos[0], e.pos[1]);
    // After a syntax error the parser reports every following token as unexpected; those are echoes of
    // the first problem, not new ones. Keep the first error per line and drop the echoes.
    if (lines.size > 0 && (lines.has(range.start.line) || e.message.includes('in YAML stream'))) continue;
    lines.add(range.start.line);
    const tooDeep = e.message.includes('call stack');
    const hint = flowExpressionHint(source.text, e.pos[0]);
    diagnostics.push({
      severity: doc.errors.includes(e) ? 'error' : 'warning',
      code: tooDeep ? 'too-deep' : 'yaml-syntax',
      message: tooDeep ? 'the YAML is nested too deeply to read' : yamlMessage(e.message),
      range,
      ...(hint !== undefined ? { suggestion: hint } : {}),
    });
  }
  if (doc.errors.length > 0) return { root: undefined, diagnostics };
  if (doc.contents === null) {
    diagnostics.push({
      severity: 'error',
      code: 'empty',
      message: 'the file is empty',
      range: source.whole(),
    });
    return { root: undefined, diagnostics };
  }
  const converter = new Converter(source, doc, limits, diagnostics);
  const root = converter.convert(doc.contents as YNode, 0);
  return { root: diagnostics.some((d) => d.severity === 'error') ? undefined : root, diagnostics };
}

/**
 * The offset where `[`/`{` nesting first exceeds `limit`, counting brackets anywhere (also inside
 * strings). A cheap pre-scan: the parser itself would take seconds and a deep stack on `[[[[…`, while
 * real pipelines nest a few levels and the exact check on the parsed tree uses the real limit.
 */
function bracketDepthOver(text: string, limit: number): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/**
 * The offset where indentation first opens more than `limit` nested blocks: a line indented deeper than
 * every open block opens one, and so does each `- ` that starts a list inside a list on one line. The
 * block twin of `bracketDepthOver`: the parser recurses once per block and overflows the stack (a
 * RangeError, not a diagnostic) at about 2000 levels, while the exact check on the parsed tree uses the
 * real limit. Comment lines and blank lines open nothing.
 */
function indentDepthOver(text: string, limit: number): number | undefined {
  const open: number[] = [];
  for (let start = 0; start < text.length;) {
    const next = text.indexOf('\n', start);
    const end = next === -1 ? text.length : next;
    let i = start;
    while (i < end && text.charCodeAt(i) === 0x20) i++;
    const c = text.charCodeAt(i);
    if (i < end && c !== 0x23 && c !== 0x0d) {
      while (open.length > 0 && (open[open.length - 1] ?? 0) >= i - start) open.pop();
      open.push(i - start);
      while (open.length <= limit && text.charCodeAt(i) === 0x2d && text.charCodeAt(i + 1) === 0x20) {
        i += 2;
        while (text.charCodeAt(i) === 0x20) i++;
        open.push(i - start);
      }
      if (open.length > limit) return i;
    }
    start = end + 1;
  }
  return undefined;
}

/** `{ run: ${{ x }} }`: unquoted, the braces of `${{` open YAML flow maps. */
function flowExpressionHint(text: string, offset: number): string | undefined {
  if (!text.slice(Math.max(0, offset - 2), offset + 3).includes('${{')) return undefined;
  return 'put values that contain `${{ }}` in quotes inside `{ }` or `[ ]`: `run: "echo ${{ params.x }}"`';
}

/** yaml appends "at line L, column C" and a code excerpt; our printer shows both itself. */
function yamlMessage(message: string): string {
  // yaml's own advice here is to call another of its functions.
  if (message.includes('multiple documents'))
    return 'a second YAML document starts here; a pipeline file holds one: remove this `---` or split the file';
  const cut = message.search(/ at line \d+, column \d+/);
  const text = (cut === -1 ? message : message.slice(0, cut)).trim();
  return text.charAt(0).toLowerCase() + text.slice(1);
}

class Converter {
  private readonly maxValues: number;
  private readonly maxDepth: number;
  private values = 0;
  private overBudget = false;
  private readonly anchored = new Map<YNode, YamlNode>();
  private readonly inProgress = new Set<YNode>();
  private readonly sizes = new WeakMap<YamlNode, number>();

  constructor(
    private readonly source: SourceFile,
    private readonly doc: Document,
    limits: YamlLimits,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.maxValues = limits.maxValues ?? 2_000_000;
    this.maxDepth = limits.maxDepth ?? 64;
  }

  convert(node: YNode, depth: number): YamlNode {
    if (isAlias(node)) return this.alias(node, depth);
    if (this.overBudget) return this.nullAt(node);
    if (node.anchor !== undefined && node.anchor !== '') {
      const known = this.anchored.get(node);
      if (known !== undefined) return known;
      this.inProgress.add(node);
      const made = this.build(node, depth);
      this.inProgress.delete(node);
      this.anchored.set(node, made);
      return made;
    }
    return this.build(node, depth);
  }

  private alias(node: YNode & { source: string; resolve(doc: Document): unknown }, depth: number): YamlNode {
    const target = node.resolve(this.doc) as YNode | undefined;
    if (target === undefined || this.inProgress.has(target)) {
      this.error(
        node,
        'alias',
        `alias \`*${node.source}\` refers to an anchor that is not defined before it`,
      );
      return this.nullAt(node);
    }
    const value = this.convert(target, depth);
    this.values += this.size(value);
    if (this.values > this.maxValues) this.budgetExceeded(node);
    return value;
  }

  private build(node: YNode, depth: number): YamlNode {
    this.values += 1;
    if (this.values > this.maxValues) {
      this.budgetExceeded(node);
      return this.nullAt(node);
    }
    const [start, end] = rangeOf(node);
    const range = this.source.range(start, end);
    if (isScalar(node)) {
      return { kind: 'scalar', value: scalarValue(node.value), range, sourceStart: start, sourceEnd: end };
    }
    if ((isMap(node) || isSeq(node)) && depth >= this.maxDepth) {
      this.error(node, 'too-deep', `lists and maps are nested more than ${this.maxDepth} levels deep`);
      return this.nullAt(node);
    }
    if (isSeq(node)) {
      return { kind: 'seq', items: node.items.map((item) => this.convert(item as YNode, depth + 1)), range };
    }
    if (isMap(node)) return this.map(node, depth, range);
    this.error(node, 'yaml-syntax', 'unsupported YAML value');
    return this.nullAt(node);
  }

  private map(
    node: YNode & { items: { key: unknown; value: unknown }[] },
    depth: number,
    range: MapNode['range'],
  ): MapNode {
    const entries: MapEntry[] = [];
    const seen = new Map<string, MapEntry>();
    const merged: MapEntry[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as YNode | null;
      if (keyNode === null || !isScalar(keyNode)) {
        this.error(keyNode ?? node, 'yaml-syntax', 'keys must be plain words or strings, not lists or maps');
        continue;
      }
      const key = String(keyNode.value);
      const [ks, ke] = rangeOf(keyNode);
      const keyRange = this.source.range(ks, ke);
      const valueNode = pair.value as YNode | null;
      const value: YamlNode =
        valueNode === null
          ? { kind: 'scalar', value: null, range: this.source.range(ke, ke), sourceStart: ke, sourceEnd: ke }
          : this.convert(valueNode, depth + 1);
      // A merge key (`<<: *defaults`); a quoted `"<<"` is an ordinary key.
      if (key === '<<' && keyNode.type === 'PLAIN') {
        const sources = value.kind === 'seq' ? value.items : [value];
        const at = sources.findIndex((src) => src.kind !== 'map');
        const bad = sources[at];
        if (bad === undefined) for (const src of sources) merged.push(...(src as MapNode).entries);
        else {
          // At the alias (`<<: *five`), not at the anchor it copies.
          const written = (
            value.kind === 'seq' && isSeq(valueNode) ? valueNode.items[at] : valueNode
          ) as YNode | null;
          const [s, e] = written === null ? [ke, ke] : rangeOf(written);
          this.diagnostics.push({
            severity: 'error',
            code: 'merge-key',
            message: `a merge key \`<<\` takes a map, an alias to one (\`<<: *name\`) or a list of them, got ${bad.kind === 'scalar' ? valueWord(bad.value) : 'a list'}`,
            range: written === null ? bad.range : this.source.range(s, e),
          });
        }
        continue;
      }
      const first = seen.get(key);
      if (first !== undefined) {
        this.diagnostics.push({
          severity: 'error',
          code: 'duplicate-key',
          message: `duplicate key \`${key}\``,
          range: keyRange,
          related: [{ message: `\`${key}\` is first defined here`, range: first.keyRange }],
        });
        continue;
      }
      const made = { key, keyRange, value };
      seen.set(key, made);
      entries.push(made);
    }
    // YAML merge keys: explicit keys win, and among merged maps the first one listed wins.
    for (const m of merged) {
      if (seen.has(m.key)) continue;
      seen.set(m.key, m);
      entries.push(m);
    }
    return { kind: 'map', entries, range };
  }

  private size(node: YamlNode): number {
    const known = this.sizes.get(node);
    if (known !== undefined) return known;
    let n = 1;
    if (node.kind === 'seq') for (const i of node.items) n += this.size(i);
    if (node.kind === 'map') for (const e of node.entries) n += this.size(e.value);
    this.sizes.set(node, n);
    return n;
  }

  private budgetExceeded(node: YNode): void {
    if (this.overBudget) return;
    this.overBudget = true;
    this.error(
      node,
      'too-large',
      `the document expands to more than ${this.maxValues} values (aliases repeat what they point to)`,
    );
  }

  private nullAt(node: YNode): ScalarNode {
    const [start, end] = rangeOf(node);
    return {
      kind: 'scalar',
      value: null,
      range: this.source.range(start, end),
      sourceStart: start,
      sourceEnd: end,
    };
  }

  private error(node: YNode, code: string, message: string): void {
    const [start, end] = rangeOf(node);
    this.diagnostics.push({ severity: 'error', code, message, range: this.source.range(start, end) });
  }
}

function rangeOf(node: YNode): [number, number] {
  const r = node.range;
  return r ? [r[0], r[1]] : [0, 0];
}

function scalarValue(value: unknown): JsonScalar {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return String(value);
}
