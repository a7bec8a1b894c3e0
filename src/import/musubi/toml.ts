// A TOML reader for the part of TOML that musubi-tuner's files use (its --config_file and --dataset_config):
// comments, [tables], [[arrays of tables]], `key = value` with strings, integers, floats, booleans and
// arrays of them (over several lines too). Every value keeps the line and column it was written at, so an
// importer can point at it. Anything else (inline tables, dotted keys, multi-line strings, dates) is an
// error at its position, not a guess.
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';

export type TomlScalar = string | number | boolean;
export type TomlValue = TomlScalar | readonly TomlScalar[];

export interface Located<T> {
  readonly value: T;
  /** 1-based line and column of the value. */
  readonly line: number;
  readonly col: number;
}

export type TomlTable = ReadonlyMap<string, Located<TomlValue>>;

export interface TomlDocument {
  /** Keys before the first header. */
  readonly root: TomlTable;
  /** [name] tables by name. */
  readonly tables: ReadonlyMap<string, TomlTable>;
  /** [[name]] entries in order, by name. */
  readonly arrays: ReadonlyMap<string, readonly TomlTable[]>;
}

class Cursor {
  pos = 0;
  line = 1;
  lineStart = 0;
  constructor(readonly text: string) {}
  get col(): number {
    return this.pos - this.lineStart + 1;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  next(): string {
    const c = this.text[this.pos++] ?? '';
    if (c === '\n') {
      this.line++;
      this.lineStart = this.pos;
    }
    return c;
  }
  /** Skips spaces and tabs; with `newlines`, also line ends and comments. */
  skip(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r') this.next();
      else if (c === '#') while (this.peek() !== '\n' && this.peek() !== '') this.next();
      else if (newlines && c === '\n') this.next();
      else return;
    }
  }
}

type Parsed<T> = Result<T, string>;

function fail<T>(c: Cursor, what: string): Parsed<T> {
  return err(`${c.line}:${c.col}: ${what}`);
}

const BARE_KEY = /[A-Za-z0-9_-]/;

function parseKey(c: Cursor): Parsed<string> {
  if (c.peek() === '"' || c.peek() === "'") return parseString(c);
  let key = '';
  while (BARE_KEY.test(c.peek())) key += c.next();
  if (key === '') return fail(c, `expected a key, got ${JSON.stringify(c.peek() || 'end of file')}`);
  if (c.peek() === '.')
    return fail(c, 'dotted keys are not supported here: write the key inside its [table]');
  return ok(key);
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

function parseString(c: Cursor): Parsed<string> {
  const quote = c.next();
  if (c.peek() === quote && c.text[c.pos + 1] === quote)
    return fail(c, 'multi-line strings are not supported here');
  let out = '';
  for (;;) {
    const ch = c.next();
    if (ch === '' || ch === '\n') return fail(c, 'unterminated string');
    if (ch === quote) return ok(out);
    if (ch === '\\' && quote === '"') {
      const e = c.next();
      const mapped = ESCAPES[e];
      if (mapped !== undefined) out += mapped;
      else if (e === 'u' || e === 'U') {
        const hex = c.text.slice(c.pos, c.pos + (e === 'u' ? 4 : 8));
        if (!/^[0-9A-Fa-f]+$/.test(hex)) return fail(c, 'bad unicode escape');
        for (const _ of hex) c.next();
        out += String.fromCodePoint(parseInt(hex, 16));
      } else return fail(c, `unknown escape \\${e}`);
    } else out += ch;
  }
}

function parseScalar(c: Cursor): Parsed<TomlScalar> {
  const ch = c.peek();
  if (ch === '"' || ch === "'") return parseString(c);
  let word = '';
  while (/[A-Za-z0-9_.+:-]/.test(c.peek())) word += c.next();
  if (word === 'true') return ok(true);
  if (word === 'false') return ok(false);
  const plain = word.replace(/_/g, '');
  if (/^[+-]?\d+$/.test(plain)) return ok(Number(plain));
  if (/^[+-]?(\d+\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+|inf|nan)$/.test(plain)) {
    return ok(plain.endsWith('inf') ? (plain.startsWith('-') ? -Infinity : Infinity) : Number(plain));
  }
  if (ch === '{') return fail(c, 'inline tables are not supported here: write a [table]');
  return fail(
    c,
    `expected a value (string, number, true/false or [array]), got ${JSON.stringify(word || ch)}`,
  );
}

function parseValue(c: Cursor): Parsed<TomlValue> {
  if (c.peek() !== '[') return parseScalar(c);
  c.next();
  const items: TomlScalar[] = [];
  for (;;) {
    c.skip(true);
    if (c.peek() === ']') {
      c.next();
      return ok(items);
    }
    if (c.peek() === '[') return fail(c, 'nested arrays are not supported here');
    const item = parseScalar(c);
    if (!item.ok) return item;
    items.push(item.value);
    c.skip(true);
    if (c.peek() === ',') c.next();
    else if (c.peek() !== ']') return fail(c, `expected "," or "]" in the array`);
  }
}

/** Parses `text`; errors are `line:col: what`. */
export function parseToml(text: string): Result<TomlDocument, string> {
  const c = new Cursor(text);
  const root = new Map<string, Located<TomlValue>>();
  const tables = new Map<string, Map<string, Located<TomlValue>>>();
  const arrays = new Map<string, Map<string, Located<TomlValue>>[]>();
  let current = root;
  for (;;) {
    c.skip(true);
    if (c.peek() === '') return ok({ root, tables, arrays });
    if (c.peek() === '[') {
      c.next();
      const isArray = c.peek() === '[';
      if (isArray) c.next();
      c.skip(false);
      const name = parseKey(c);
      if (!name.ok) return name;
      c.skip(false);
      for (const _ of isArray ? ']]' : ']') {
        if (c.next() !== ']') return fail(c, `expected "${isArray ? ']]' : ']'}" after the table name`);
      }
      current = new Map();
      if (isArray) arrays.set(name.value, [...(arrays.get(name.value) ?? []), current]);
      else if (tables.has(name.value)) return fail(c, `table [${name.value}] is defined twice`);
      else tables.set(name.value, current);
    } else {
      const line = c.line;
      const col = c.col;
      const key = parseKey(c);
      if (!key.ok) return key;
      c.skip(false);
      if (c.next() !== '=') return fail(c, `expected "=" after ${key.value}`);
      c.skip(false);
      const at = { line: c.line, col: c.col };
      const value = parseValue(c);
      if (!value.ok) return value;
      if (current.has(key.value)) return err(`${line}:${col}: ${key.value} is set twice`);
      current.set(key.value, { value: value.value, ...at });
    }
    c.skip(false);
    if (c.peek() !== '\n' && c.peek() !== '')
      return fail(c, `expected the end of the line, got ${JSON.stringify(c.peek())}`);
  }
}
