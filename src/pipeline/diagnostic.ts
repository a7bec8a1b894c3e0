/** A position in a source file. `line` and `column` are 1-based; `offset` is the 0-based character index. */
export interface Position {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** A range of source text in one file (`end` is exclusive). */
export interface SourceRange {
  readonly file: string;
  readonly start: Position;
  readonly end: Position;
}

export type Severity = 'error' | 'warning';

/**
 * The one diagnostic type every validator produces (YAML syntax, schema, expressions, graph, cross-node
 * rules, step parameters). One printer renders them as `path:line:col: message` with the source line and
 * a caret.
 */
export interface Diagnostic {
  readonly severity: Severity;
  /** A stable machine-readable code, e.g. `yaml-syntax`, `schema`, `unknown-step`, `cycle`, `unknown-reference`. */
  readonly code: string;
  readonly message: string;
  /** Where the problem is; absent only for problems that have no place in a file (e.g. a missing file). */
  readonly range?: SourceRange;
  /** Other places that explain the problem (the rest of a cycle, the first of two duplicate keys, …). */
  readonly related?: readonly { readonly message: string; readonly range: SourceRange }[];
  /** What to do about it: "did you mean `strength`?", "add `needs: [prepare]`", … */
  readonly suggestion?: string;
}

/** A failure made of diagnostics: what loaders and validators return when the input is not usable. */
export interface DiagnosticsFailure {
  readonly reason: 'invalid';
  readonly diagnostics: readonly Diagnostic[];
}
