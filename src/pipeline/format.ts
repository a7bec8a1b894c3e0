// The one printer for diagnostics: `path:line:col: error: message`, the source line with the range
// underlined, then the suggestion and related locations.
import { isAbsolute, relative } from 'node:path';
import type { Diagnostic, SourceRange } from './diagnostic.js';

export interface FormatOptions {
  /** The text of a file, to show source lines; undefined leaves them out. */
  readonly source: (file: string) => string | undefined;
  readonly color: boolean;
  /** Paths are shown relative to this directory when they lie inside it. */
  readonly relativeTo?: string;
}

/** File order, then position, so output is stable however the checks ran. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const fa = a.range?.file ?? '';
    const fb = b.range?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const oa = a.range?.start.offset ?? -1;
    const ob = b.range?.start.offset ?? -1;
    if (oa !== ob) return oa - ob;
    const ea = a.range?.end.offset ?? -1;
    const eb = b.range?.end.offset ?? -1;
    if (ea !== eb) return ea - eb;
    return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
  });
}

const MAX_LINE = 160;

export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: FormatOptions): string {
  const paint = (code: string, s: string): string => (options.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const where = (r: SourceRange): string =>
    `${showPath(r.file, options.relativeTo)}:${r.start.line}:${r.start.column}`;
  const blocks: string[] = [];
  for (const d of diagnostics) {
    const lines: string[] = [];
    const label = d.severity === 'error' ? paint('1;31', 'error') : paint('1;33', 'warning');
    const head = d.range ? `${paint('1', where(d.range))}: ` : '';
    lines.push(`${head}${label}: ${paint('1', d.message)}`);
    if (d.range) lines.push(...excerpt(d.range, options, paint));
    if (d.suggestion !== undefined) lines.push(`  ${paint('1;36', 'help')}: ${d.suggestion}`);
    for (const r of d.related ?? []) {
      lines.push(`  ${paint('1;34', 'note')}: ${where(r.range)}: ${r.message}`);
      lines.push(...excerpt(r.range, options, paint));
    }
    blocks.push(lines.join('\n'));
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (diagnostics.length > 0) {
    const parts = [
      errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}` : '',
      warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '',
    ];
    blocks.push(parts.filter((p) => p !== '').join(', '));
  }
  return blocks.join('\n\n') + (blocks.length > 0 ? '\n' : '');
}

function showPath(file: string, base: string | undefined): string {
  if (base === undefined || !isAbsolute(file)) return file;
  const rel = relative(base, file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

/** The source line of the range's start with a `^~~~` underline; lines are windowed when very long. */
function excerpt(
  r: SourceRange,
  options: FormatOptions,
  paint: (code: string, s: string) => string,
): string[] {
  const text = options.source(r.file);
  if (text === undefined) return [];
  const lineStart = r.start.offset - (r.start.column - 1);
  let lineEnd = text.indexOf('\n', r.start.offset);
  if (lineEnd === -1) lineEnd = text.length;
  let line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
  let from = r.start.column - 1;
  let to = r.end.line === r.start.line ? r.end.column - 1 : line.length;
  if (to <= from) to = from + 1;
  if (line.length > MAX_LINE) {
    const shift = Math.max(0, Math.min(from - 20, line.length - MAX_LINE));
    line =
      (shift > 0 ? '…' : '') +
      line.slice(shift, shift + MAX_LINE) +
      (shift + MAX_LINE < line.length ? '…' : '');
    const lead = shift > 0 ? 1 : 0;
    from = from - shift + lead;
    to = Math.min(to - shift + lead, line.length);
    if (to <= from) to = from + 1;
  }
  const gutter = String(r.start.line);
  const pad = ' '.repeat(gutter.length);
  // Keep tabs under tabs so the caret lines up whatever the terminal's tab width.
  const indent = line.slice(0, from).replace(/[^\t]/g, ' ');
  const mark = '^' + '~'.repeat(Math.max(0, to - from - 1));
  return [
    `${paint('34', ` ${gutter} |`)} ${line}`,
    `${paint('34', ` ${pad} |`)} ${indent}${paint('1;32', mark)}`,
  ];
}

/** A diagnostic as `moe validate --json` prints it: every field present, `null` when unknown. */
export interface DiagnosticJson {
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly endLine: number | null;
  readonly endColumn: number | null;
  readonly severity: Diagnostic['severity'];
  readonly code: string;
  readonly message: string;
  readonly suggestion: string | null;
}

export function diagnosticJson(d: Diagnostic): DiagnosticJson {
  return {
    file: d.range?.file ?? null,
    line: d.range?.start.line ?? null,
    column: d.range?.start.column ?? null,
    endLine: d.range?.end.line ?? null,
    endColumn: d.range?.end.column ?? null,
    severity: d.severity,
    code: d.code,
    message: d.message,
    suggestion: d.suggestion ?? null,
  };
}
