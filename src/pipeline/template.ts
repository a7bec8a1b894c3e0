// A `with:` block → `WithTemplate`: strings are split into text and parsed `${{ }}` expressions whose
// ranges point at the exact columns inside the YAML file.
import type { Diagnostic, SourceRange } from './diagnostic.js';
import { parseExpression } from './expr/parser.js';
import type { Locate } from './expr/parser.js';
import type { ScalarNode, YamlNode } from './node.js';
import { quotedOffsets } from './quoted-offsets.js';
import type { SourceFile } from './source.js';
import type { Expr, WithTemplate } from './types.js';

const OPEN = '${{';

export type Interpolated = Extract<WithTemplate, { kind: 'interpolated' }>;

/**
 * Builds the template of `node`. `onString` sees every string that holds expressions, with the path of
 * keys and indexes that leads to it, so the loader can type-check them and place schema errors.
 */
export function buildTemplate(
  node: YamlNode,
  source: SourceFile,
  diagnostics: Diagnostic[],
  onString?: (node: ScalarNode, template: Interpolated, path: readonly (string | number)[]) => void,
  path: readonly (string | number)[] = [],
): WithTemplate {
  switch (node.kind) {
    case 'scalar':
      if (typeof node.value === 'string' && node.value.includes(OPEN)) {
        const t = interpolate(node, node.value, source, diagnostics);
        if (t.kind === 'interpolated') onString?.(node, t, path);
        return t;
      }
      return { kind: 'literal', value: node.value, range: node.range };
    case 'seq':
      return {
        kind: 'list',
        items: node.items.map((item, i) =>
          buildTemplate(item, source, diagnostics, onString, path.concat(i)),
        ),
        range: node.range,
      };
    case 'map':
      return {
        kind: 'map',
        entries: node.entries.map(
          (e) => [e.key, buildTemplate(e.value, source, diagnostics, onString, path.concat(e.key))] as const,
        ),
        range: node.range,
      };
  }
}

/** True when the template is exactly one `${{ expr }}`: it then keeps the expression's own type. */
export function isSingleExpression(parts: readonly (string | Expr)[]): parts is readonly [Expr] {
  return parts.length === 1 && typeof parts[0] !== 'string';
}

/** The text between expressions (one more than there are expressions) and the expressions. */
export function splitParts(parts: readonly (string | Expr)[]): { literals: string[]; exprs: Expr[] } {
  const literals: string[] = [''];
  const exprs: Expr[] = [];
  for (const p of parts) {
    if (typeof p === 'string') literals[literals.length - 1] += p;
    else {
      exprs.push(p);
      literals.push('');
    }
  }
  return { literals, exprs };
}

function interpolate(
  node: ScalarNode,
  text: string,
  source: SourceFile,
  diagnostics: Diagnostic[],
): WithTemplate {
  const parts: (string | Expr)[] = [];
  const raw = source.text.slice(node.sourceStart, node.sourceEnd);
  // Where each character of a quoted value was written, once an escape has made raw and value differ.
  let offsets: number[] | undefined | null = null;
  let literal = '';
  let i = 0;
  let rawSearch = 0;
  while (i < text.length) {
    const open = text.indexOf(OPEN, i);
    if (open === -1) break;
    literal += text.slice(i, open);
    const close = findClose(text, open + OPEN.length);
    // Where this `${{` sits in the file: the same occurrence in the raw scalar text. When escapes inside
    // the expression make the raw and parsed text differ, a quoted scalar maps each character to where
    // it was written; any other falls back to the whole scalar.
    const rawOpen = raw.indexOf(OPEN, rawSearch);
    const exprEnd = close === -1 ? text.length : close + 2;
    const exact =
      rawOpen !== -1 && raw.slice(rawOpen, rawOpen + exprEnd - open) === text.slice(open, exprEnd);
    if (rawOpen !== -1) rawSearch = rawOpen + OPEN.length;
    if (!exact && offsets === null) offsets = quotedOffsets(raw, text);
    const shift = node.sourceStart + rawOpen - open;
    const written = offsets ?? undefined;
    const at = (s: number, e: number): SourceRange =>
      exact
        ? source.range(s + shift, e + shift)
        : written !== undefined
          ? source.range(node.sourceStart + (written[s] as number), node.sourceStart + (written[e] as number))
          : node.range;
    if (close === -1) {
      diagnostics.push({
        severity: 'error',
        code: 'expression',
        message: 'unterminated `${{`',
        range: at(open, open + OPEN.length),
        suggestion: 'close the expression with `}}`',
      });
      return { kind: 'literal', value: text, range: node.range };
    }
    const bodyStart = open + OPEN.length;
    const locate: Locate = (s, e) => at(bodyStart + s, bodyStart + Math.min(e, close - bodyStart));
    const parsed = parseExpression(text.slice(bodyStart, close), locate, (n) => source.name(n));
    if ('error' in parsed) {
      diagnostics.push({
        severity: 'error',
        code: 'expression',
        message: parsed.error.message,
        range: parsed.error.range,
      });
    } else {
      if (literal !== '') parts.push(source.name(literal));
      literal = '';
      parts.push(parsed.expr);
    }
    i = close + 2;
  }
  literal += text.slice(i);
  if (literal !== '') parts.push(source.name(literal));
  // A copy of exactly its length (`push` leaves room for 16 more, kept for as long as the pipeline).
  return { kind: 'interpolated', parts: parts.slice(), range: node.range };
}

/** The index of the `}}` that ends an expression, skipping quoted strings inside it; -1 when missing. */
function findClose(text: string, from: number): number {
  let quote: string | undefined;
  for (let j = from; j < text.length; j++) {
    const c = text.charAt(j);
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '}' && text[j + 1] === '}') {
      return j;
    }
  }
  return -1;
}
