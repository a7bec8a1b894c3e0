// Inserting values into a POSIX shell command line so that no value can run a command of its own.
// Quoting alone is not enough when the surrounding text already opened a quote, a comment or a command
// substitution, so the literal parts of the command are scanned first to learn the context of each
// `${{ }}`; each context gets the escaping that is exact for it, and contexts where no escaping is
// exact (backquotes, here-documents, `${…}`, `$((…))`, after a backslash) are refused.

export type ShellContext = 'unquoted' | 'single' | 'double' | 'comment';

export interface ShellContextError {
  /** The index of the offending value among the inserted values. */
  readonly index: number;
  readonly message: string;
}

/** `ansi` is bash's `$'…'`, where a backslash can escape the closing quote. */
type Mode = 'normal' | 'single' | 'double' | 'comment' | 'param' | 'arith' | 'ansi';

interface Frame {
  mode: Mode;
  /** For `param`/`arith` frames: nesting of `{ }` or `( )` still open. */
  depth: number;
  /** Mode to return to when this frame's closing `)` is read (`$(` frames). */
  readonly closesSubst: boolean;
}

export interface ShellContexts {
  /** One per insertion point (`literals.length - 1` of them); refused points read `unquoted`. */
  readonly contexts: readonly ShellContext[];
  /** The insertion points that cannot be made safe. */
  readonly errors: readonly ShellContextError[];
}

/**
 * Contexts found so far, by the literals' JSON. The nodes of a generated pipeline mostly share a
 * command's literal text around different values, and every node's is scanned when the file is checked
 * and at each of the two resolutions of its `with` in a run: a scan of the same text once, at most
 * MEMO_SIZE texts of at most MEMO_TEXT characters (a fixed few hundred KB at most).
 */
const memo = new Map<string, ShellContexts>();
const MEMO_SIZE = 256;
const MEMO_TEXT = 2048;

/** The quoting context of each insertion point between `literals` (the result is shared: never change it). */
export function shellContexts(literals: readonly string[]): ShellContexts {
  const key = JSON.stringify(literals);
  const known = memo.get(key);
  if (known !== undefined) return known;
  const found = scanContexts(literals);
  if (memo.size < MEMO_SIZE && key.length <= MEMO_TEXT) memo.set(key, found);
  return found;
}

function scanContexts(literals: readonly string[]): ShellContexts {
  const scanner = new ShellScanner();
  for (const [k, text] of literals.entries()) {
    scanner.scan(text);
    if (k === literals.length - 1) break;
    scanner.insertionPoint(k);
  }
  return Object.freeze({
    contexts: Object.freeze(scanner.contexts),
    errors: Object.freeze(scanner.errors.map((e) => Object.freeze(e))),
  });
}

/** Reads a command line's literal parts in order, keeping the shell's quoting state between them. */
class ShellScanner {
  readonly contexts: ShellContext[] = [];
  readonly errors: ShellContextError[] = [];
  #escaped = false;
  #wordStart = true;
  #backquote = false;
  #heredocPending = false;
  #inHeredoc = false;
  #top: Frame = { mode: 'normal', depth: 0, closesSubst: false };
  readonly #stack: Frame[] = [this.#top];

  scan(text: string): void {
    for (let i = 0; i < text.length; i++) i = this.#char(text, i);
  }

  /** Between two literal parts: the context of the value inserted there, or why none is safe. */
  insertionPoint(k: number): void {
    const top = this.#top;
    const why = this.#escaped
      ? 'right after a backslash'
      : this.#backquote
        ? 'inside backquotes (use `$( )`)'
        : this.#inHeredoc
          ? 'after a here-document (`<<`)'
          : top.mode === 'ansi'
            ? "inside `$'…'`"
            : top.mode === 'param'
              ? 'inside `${…}`'
              : top.mode === 'arith'
                ? 'inside `$((…))`'
                : undefined;
    if (why !== undefined)
      this.errors.push({ index: k, message: `\`\${{ }}\` ${why} cannot be quoted safely` });
    // The inserted value is one complete word: the next character is not escaped by what came before.
    this.#escaped = false;
    const mode = top.mode;
    this.contexts.push(mode === 'single' || mode === 'double' || mode === 'comment' ? mode : 'unquoted');
    if (top.mode === 'normal') this.#wordStart = false;
  }

  /** Reads the character at `i`; returns the index of the last character it consumed. */
  #char(text: string, i: number): number {
    const c = text.charAt(i);
    if (this.#escaped) {
      this.#escaped = false;
      this.#wordStart = false;
      return i;
    }
    if (this.#insideQuote(c)) return i;
    if (c === '\\') {
      this.#escaped = true;
      return i;
    }
    if (c === '`') {
      this.#backquote = !this.#backquote;
      return i;
    }
    const opened = this.#dollar(text, i);
    if (opened !== undefined) return opened;
    const top = this.#top;
    if (top.mode === 'double') {
      if (c === '"') top.mode = 'normal';
      return i;
    }
    if (c === "'") top.mode = 'single';
    else if (c === '"') top.mode = 'double';
    else if (c === '#' && this.#wordStart) top.mode = 'comment';
    else if (c === ')' && top.closesSubst) this.#pop();
    else if (c === '<' && text[i + 1] === '<') this.#heredocPending = true;
    else if (c === '\n' && this.#heredocPending) this.#inHeredoc = true;
    this.#wordStart = /[\s;&|()<>]/.test(c);
    return i;
  }

  /** Inside single quotes, `$'…'`, a comment, `${…}` or `$((…))`: reads `c` there and says so. */
  #insideQuote(c: string): boolean {
    const top = this.#top;
    switch (top.mode) {
      case 'single':
        if (c === "'") top.mode = 'normal';
        return true;
      case 'ansi':
        if (c === '\\') this.#escaped = true;
        else if (c === "'") top.mode = 'normal';
        return true;
      case 'comment':
        if (c === '\n') {
          top.mode = 'normal';
          this.#wordStart = true;
          if (this.#heredocPending) this.#inHeredoc = true;
        }
        return true;
      case 'param':
      case 'arith': {
        const [open, close] = top.mode === 'param' ? ['{', '}'] : ['(', ')'];
        if (c === '\\') this.#escaped = true;
        else if (c === open) top.depth++;
        else if (c === close && --top.depth === 0) this.#pop();
        return true;
      }
      case 'double':
      case 'normal':
        return false;
    }
  }

  /** `$'`, `${`, `$((` and `$(` open a frame; the index of their last character, else undefined. */
  #dollar(text: string, i: number): number | undefined {
    if (text.charAt(i) !== '$') return undefined;
    if (this.#top.mode === 'normal' && text[i + 1] === "'") {
      this.#top.mode = 'ansi';
      return i + 1;
    }
    if (text[i + 1] === '{') {
      this.#push({ mode: 'param', depth: 1, closesSubst: false });
      return i + 1;
    }
    if (text[i + 1] === '(' && text[i + 2] === '(') {
      this.#push({ mode: 'arith', depth: 2, closesSubst: false });
      return i + 2;
    }
    if (text[i + 1] === '(') {
      this.#push({ mode: 'normal', depth: 0, closesSubst: true });
      this.#wordStart = true;
      return i + 1;
    }
    return undefined;
  }

  #push(f: Frame): void {
    this.#stack.push(f);
    this.#top = f;
  }

  #pop(): void {
    if (this.#stack.length > 1) this.#stack.pop();
    this.#top = this.#stack[this.#stack.length - 1] ?? this.#top;
  }
}

/** `value` escaped for the given context, so the shell reads it back as exactly `value`, as one word. */
export function shellEscape(value: string, context: ShellContext): string {
  switch (context) {
    case 'unquoted':
      return shellQuote(value);
    case 'single':
      // Close the quote, add an escaped quote, reopen: the surrounding quotes stay balanced.
      return value.replace(/'/g, `'\\''`);
    case 'double':
      return value.replace(/[$`"\\]/g, '\\$&');
    case 'comment':
      // A newline would end the comment and start a command.
      return shellQuote(value.replace(/[\r\n]/g, ' '));
  }
}

/** POSIX single quoting: `it's` → `'it'\''s'`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
