// Recursive-descent parser for `${{ … }}` expressions. Precedence, loosest first:
// `||`, `&&`, `== !=`, `< <= > >=`, `+ -`, `* /`, unary `! -`, then literals, references, calls, `( )`.
import type { SourceRange } from '../diagnostic.js';
import { spanRanges } from '../source.js';
import type { Expr } from '../types.js';
import { tokenize } from './lexer.js';
import type { Token } from './lexer.js';

/** Maps offsets within the expression text to a range in the file. */
export type Locate = (start: number, end: number) => SourceRange;

export interface ParseError {
  readonly message: string;
  readonly range: SourceRange;
}

/** Parentheses and unary operators nest at most this deep, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 64;

const EOF: Token = { kind: 'eof', text: '', start: 0, end: 0 };

type BinaryOp = Extract<Expr, { kind: 'binary' }>['op'];

const LEVELS: readonly (readonly BinaryOp[])[] = [
  ['||'],
  ['&&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['+', '-'],
  ['*', '/'],
];

/**
 * Parses one expression; `name` gives the copy of each reference path segment to keep (the loader shares
 * one copy of each word across the file's expressions).
 */
export function parseExpression(
  text: string,
  locate: Locate,
  name: (s: string) => string = (s) => s,
): { expr: Expr } | { error: ParseError } {
  const lexed = tokenize(text);
  if (lexed.error)
    return { error: { message: lexed.error.message, range: locate(lexed.error.start, lexed.error.end) } };
  try {
    const parser = new Parser(lexed.tokens, locate, name);
    const expr = parser.expression();
    parser.expectEnd();
    return { expr };
  } catch (e) {
    if (e instanceof SyntaxFailure) return { error: { message: e.message, range: e.range } };
    throw e;
  }
}

class SyntaxFailure extends Error {
  constructor(
    message: string,
    readonly range: SourceRange,
  ) {
    super(message);
  }
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly locate: Locate,
    private readonly name: (s: string) => string,
  ) {}

  expression(): Expr {
    if (this.tokens.length === 1) throw this.fail('empty expression', this.peek());
    return this.binary(0);
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'eof') throw this.fail(`unexpected \`${t.text}\` after the end of the expression`, t);
  }

  private binary(level: number): Expr {
    const ops = LEVELS[level];
    if (ops === undefined) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      const op = ops.find((o) => t.kind === 'op' && t.text === o);
      if (op === undefined) return left;
      this.pos++;
      const right = this.binary(level + 1);
      left = { kind: 'binary', op, left, right, range: this.span(left.range, right.range) };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '!' || t.text === '-')) {
      this.pos++;
      const arg = this.nested(() => this.unary());
      return { kind: 'unary', op: t.text, arg, range: this.span(this.locate(t.start, t.end), arg.range) };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    const range = this.locate(t.start, t.end);
    switch (t.kind) {
      case 'number':
        return { kind: 'literal', value: Number(t.text), range };
      case 'string':
        return { kind: 'literal', value: t.text, range };
      case 'ident':
        if (t.text === 'true' || t.text === 'false')
          return { kind: 'literal', value: t.text === 'true', range };
        if (this.peekOp('(')) return this.call(t);
        return this.ref(t);
      case 'op':
        if (t.text === '(') {
          const inner = this.nested(() => this.binary(0));
          this.expectOp(')', 'a closing `)`');
          return inner;
        }
        throw this.fail(`expected a value, got \`${t.text}\``, t);
      case 'eof':
        throw this.fail('the expression ends too early', t);
    }
  }

  private ref(first: Token): Expr {
    const path = [this.name(first.text)];
    let last = first;
    while (this.peekOp('.')) {
      this.pos++;
      const seg = this.next();
      if (seg.kind !== 'ident')
        throw this.fail(`expected a name after \`.\`, got \`${seg.text || 'the end'}\``, seg);
      path.push(this.name(seg.text));
      last = seg;
    }
    // A copy of exactly its length: `push` leaves room for 16 more, kept for as long as the pipeline.
    return { kind: 'ref', path: path.slice(), range: this.locate(first.start, last.end) };
  }

  private call(name: Token): Expr {
    this.pos++;
    const args: Expr[] = [];
    if (!this.peekOp(')')) {
      for (;;) {
        args.push(this.nested(() => this.binary(0)));
        if (!this.peekOp(',')) break;
        this.pos++;
      }
    }
    const close = this.expectOp(')', '`,` or `)`');
    return { kind: 'call', fn: name.text, args, range: this.locate(name.start, close.end) };
  }

  private nested<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH)
      throw this.fail(`the expression is nested more than ${MAX_DEPTH} levels deep`, this.peek());
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private expectOp(text: string, what: string): Token {
    const t = this.next();
    if (t.kind !== 'op' || t.text !== text)
      throw this.fail(`expected ${what}, got \`${t.text || 'the end'}\``, t);
    return t;
  }

  private peekOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }

  private peek(): Token {
    return this.tokens[this.pos] ?? this.tokens[this.tokens.length - 1] ?? EOF;
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  private span(a: SourceRange, b: SourceRange): SourceRange {
    return spanRanges(a, b);
  }

  private fail(message: string, t: Token): SyntaxFailure {
    return new SyntaxFailure(message, this.locate(t.start, Math.max(t.end, t.start + 1)));
  }
}
