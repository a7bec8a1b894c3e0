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

/** The quoting context of each insertion point between `literals`. */
export function shellContexts(literals: readonly string[]): ShellContexts {
  let escaped = false;
  let wordStart = true;
  let backquote = false;
  let heredocPending = false;
  let inHeredoc = false;
  const contexts: ShellContext[] = [];
  const errors: ShellContextError[] = [];
  let top: Frame = { mode: 'normal', depth: 0, closesSubst: false };
  const stack: Frame[] = [top];
  const push = (f: Frame): void => {
    stack.push(f);
    top = f;
  };
  const pop = (): void => {
    if (stack.length > 1) stack.pop();
    top = stack[stack.length - 1] ?? top;
  };
  for (const [k, text] of literals.entries()) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charAt(i);
      if (escaped) {
        escaped = false;
        wordStart = false;
        continue;
      }
      switch (top.mode) {
        case 'single':
          if (c === "'") top.mode = 'normal';
          continue;
        case 'ansi':
          if (c === '\\') escaped = true;
          else if (c === "'") top.mode = 'normal';
          continue;
        case 'comment':
          if (c === '\n') {
            top.mode = 'normal';
            wordStart = true;
            if (heredocPending) inHeredoc = true;
          }
          continue;
        case 'param':
        case 'arith': {
          const [open, close] = top.mode === 'param' ? ['{', '}'] : ['(', ')'];
          if (c === '\\') escaped = true;
          else if (c === open) top.depth++;
          else if (c === close && --top.depth === 0) pop();
          continue;
        }
        case 'double':
        case 'normal':
          break;
      }
      if (c === '\\') {
        escaped = true;
        continue;
      }
      if (c === '`') {
        backquote = !backquote;
        continue;
      }
      if (top.mode === 'normal' && c === '$' && text[i + 1] === "'") {
        top.mode = 'ansi';
        i++;
        continue;
      }
      if (c === '$' && text[i + 1] === '{') {
        push({ mode: 'param', depth: 1, closesSubst: false });
        i++;
        continue;
      }
      if (c === '$' && text[i + 1] === '(' && text[i + 2] === '(') {
        push({ mode: 'arith', depth: 2, closesSubst: false });
        i += 2;
        continue;
      }
      if (c === '$' && text[i + 1] === '(') {
        push({ mode: 'normal', depth: 0, closesSubst: true });
        wordStart = true;
        i++;
        continue;
      }
      if (top.mode === 'double') {
        if (c === '"') top.mode = 'normal';
        continue;
      }
      if (c === "'") top.mode = 'single';
      else if (c === '"') top.mode = 'double';
      else if (c === '#' && wordStart) top.mode = 'comment';
      else if (c === ')' && top.closesSubst) pop();
      else if (c === '<' && text[i + 1] === '<') heredocPending = true;
      else if (c === '\n' && heredocPending) inHeredoc = true;
      wordStart = /[\s;&|()<>]/.test(c);
    }
    if (k === literals.length - 1) break;
    const why = escaped
      ? 'right after a backslash'
      : backquote
        ? 'inside backquotes (use `$( )`)'
        : inHeredoc
          ? 'after a here-document (`<<`)'
          : top.mode === 'ansi'
            ? "inside `$'…'`"
            : top.mode === 'param'
              ? 'inside `${…}`'
              : top.mode === 'arith'
                ? 'inside `$((…))`'
                : undefined;
    if (why !== undefined) errors.push({ index: k, message: `\`\${{ }}\` ${why} cannot be quoted safely` });
    // The inserted value is one complete word: the next character is not escaped by what came before.
    escaped = false;
    const mode = top.mode;
    contexts.push(mode === 'single' || mode === 'double' || mode === 'comment' ? mode : 'unquoted');
    if (top.mode === 'normal') wordStart = false;
  }
  return { contexts, errors };
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
