// Tokens of a `${{ … }}` expression. Offsets are relative to the expression text; the parser maps them to
// file positions.

export type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The operator or identifier text, the string's value, or the number's source text. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export interface LexError {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '+', '-', '*', '/', '<', '>', '!', '(', ')', ',', '.'];

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isIdentStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string): boolean => isIdentStart(c) || isDigit(c);

export function tokenize(text: string): { tokens: Token[]; error?: LexError } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
      const number = m?.[0] ?? c;
      i += number.length;
      if (isIdentPart(text[i] ?? ''))
        return {
          tokens,
          error: { message: `malformed number \`${text.slice(start, i + 1)}\``, start, end: i + 1 },
        };
      tokens.push({ kind: 'number', text: number, start, end: i });
      continue;
    }
    if (c === "'" || c === '"') {
      // A quote is escaped by doubling it, as in GitHub Actions expressions: 'it''s'.
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length)
          return { tokens, error: { message: 'unterminated string', start, end: text.length } };
        const d = text.charAt(i);
        if (d === c) {
          if (text[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += d;
        i++;
      }
      tokens.push({ kind: 'string', text: value, start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < text.length && isIdentPart(text.charAt(i))) i++;
      // Node ids and parameter names may contain `-` (`nodes.train-base.outputs.model`) when it is directly
      // followed by a letter; `params.x - 1` and `params.x-1` stay subtractions.
      while (tokens.at(-1)?.text === '.' && text[i] === '-' && isIdentStart(text.charAt(i + 1))) {
        i++;
        while (i < text.length && isIdentPart(text.charAt(i))) i++;
      }
      tokens.push({ kind: 'ident', text: text.slice(start, i), start, end: i });
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op === undefined) {
      const hint = c === '=' ? ' (use `==` to compare)' : c === '&' || c === '|' ? ` (use \`${c}${c}\`)` : '';
      return { tokens, error: { message: `unexpected character \`${c}\`${hint}`, start, end: i + 1 } };
    }
    i += op.length;
    tokens.push({ kind: 'op', text: op, start, end: i });
  }
  tokens.push({ kind: 'eof', text: '', start: text.length, end: text.length });
  return { tokens };
}
