// Static checks of an expression at load time: every reference exists, every operator and function gets
// the types it needs. Collects the nodes an expression reads, which become edges of the graph.
import type { Diagnostic, SourceRange } from '../diagnostic.js';
import { didYouMean } from '../suggest.js';
import type { Expr, ParamValue } from '../types.js';
import { FUNCTIONS, checkFormat } from './functions.js';

export type ExprType = 'number' | 'string' | 'bool';

export interface CheckScope {
  readonly params: ReadonlyMap<string, ParamValue>;
  /** Ids of every node in the pipeline, in file order (for suggestions). */
  readonly nodeIds: readonly string[];
  hasNode(id: string): boolean;
  /**
   * The declared outputs of a node, or undefined when they cannot be known (its step is unknown or
   * failed to say); references to such a node are not checked further. `output` is the output the
   * expression reads (a scope that cannot know the outputs yet may note it to check later).
   */
  outputsOf(node: string, output: string): readonly string[] | undefined;
  /** Where a node is declared, for "defined here" notes. */
  nodeRange(node: string): SourceRange | undefined;
  /** The node whose `with` is being checked: it cannot read its own outputs. */
  readonly self: string;
}

export interface CheckResult {
  /** Undefined when a problem made the type unknowable (a diagnostic says why). */
  readonly type: ExprType | undefined;
  readonly diagnostics: readonly Diagnostic[];
  readonly nodes: ReadonlySet<string>;
}

export const ROOTS = ['params', 'nodes', 'env'] as const;

export function typeOfValue(v: ParamValue): ExprType {
  return typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : 'string';
}

export function checkExpression(expr: Expr, scope: CheckScope): CheckResult {
  const checker = new Checker(scope);
  const type = checker.visit(expr);
  const { diagnostics, nodes } = checker;
  return { type: diagnostics.length > 0 ? undefined : type, diagnostics, nodes };
}

/** One expression's walk: its type bottom-up, every problem as a diagnostic, the nodes it reads. */
class Checker {
  readonly diagnostics: Diagnostic[] = [];
  readonly nodes = new Set<string>();

  constructor(readonly scope: CheckScope) {}

  error(
    range: SourceRange,
    message: string,
    suggestion?: string,
    related?: Diagnostic['related'],
  ): undefined {
    this.diagnostics.push({
      severity: 'error',
      code: 'expression',
      message,
      range,
      ...(suggestion !== undefined ? { suggestion } : {}),
      ...(related !== undefined ? { related } : {}),
    });
    return undefined;
  }

  visit(e: Expr): ExprType | undefined {
    switch (e.kind) {
      case 'literal':
        return typeOfValue(e.value);
      case 'ref':
        return this.ref(e);
      case 'unary': {
        const t = this.visit(e.arg);
        const want: ExprType = e.op === '!' ? 'bool' : 'number';
        if (t !== undefined && t !== want)
          return this.error(e.range, `\`${e.op}\` needs a ${typeName(want)}, got a ${typeName(t)}`);
        return want;
      }
      case 'binary': {
        const l = this.visit(e.left);
        const r = this.visit(e.right);
        if (l === undefined || r === undefined) return binaryResult(e.op, l ?? r);
        const problem = binaryProblem(e.op, l, r);
        if (problem !== undefined) return this.error(e.range, problem);
        return binaryResult(e.op, l);
      }
      case 'call':
        return this.call(e);
    }
  }

  ref(e: Extract<Expr, { kind: 'ref' }>): ExprType | undefined {
    const [root, ...rest] = e.path;
    const dotted = e.path.join('.');
    const scope = this.scope;
    if (root === 'params') {
      if (rest.length !== 1) return this.error(e.range, `\`${dotted}\`: write \`params.<name>\``);
      const name = rest[0] ?? '';
      const v = scope.params.get(name);
      if (v === undefined) {
        const known = [...scope.params.keys()];
        return this.error(
          e.range,
          `unknown parameter \`${name}\``,
          didYouMean(name, known) ?? declaredHint(known),
        );
      }
      return typeOfValue(v);
    }
    if (root === 'env') {
      if (rest.length !== 1) return this.error(e.range, `\`${dotted}\`: write \`env.<NAME>\``);
      return 'string';
    }
    if (root === 'nodes') return this.nodeRef(e.range, rest, dotted);
    const suggestion = scope.params.has(dotted)
      ? `did you mean \`params.${dotted}\`?`
      : (didYouMean(root ?? '', ROOTS) ??
        'expressions read `params.<name>`, `nodes.<id>.outputs.<name>` and `env.<NAME>`');
    return this.error(e.range, `unknown name \`${dotted}\``, suggestion);
  }

  /** `nodes.<id>.outputs.<name>`: the node exists, is not this one, and declares the output. */
  nodeRef(range: SourceRange, rest: readonly string[], dotted: string): ExprType | undefined {
    const scope = this.scope;
    const [id, outputs, name] = rest;
    if (id === undefined || outputs !== 'outputs' || name === undefined || rest.length !== 3) {
      return this.error(range, `\`${dotted}\`: write \`nodes.<id>.outputs.<name>\``);
    }
    if (!scope.hasNode(id)) return this.error(range, `unknown node \`${id}\``, didYouMean(id, scope.nodeIds));
    if (id === scope.self) return this.error(range, `node \`${id}\` cannot read its own outputs`);
    this.nodes.add(id);
    const declared = scope.outputsOf(id, name);
    if (declared !== undefined && !declared.includes(name)) {
      const where = scope.nodeRange(id);
      const listed =
        declared.length === 0
          ? 'it declares none'
          : `it declares ${declared.map((d) => `\`${d}\``).join(', ')}`;
      return this.error(
        range,
        `node \`${id}\` has no output \`${name}\` (${listed})`,
        didYouMean(name, declared),
        where ? [{ message: `\`${id}\` is defined here`, range: where }] : undefined,
      );
    }
    return 'string';
  }

  call(e: Extract<Expr, { kind: 'call' }>): ExprType | undefined {
    const spec = FUNCTIONS.get(e.fn);
    const types = e.args.map((a) => this.visit(a));
    if (spec === undefined)
      return this.error(
        e.range,
        `unknown function \`${e.fn}\``,
        didYouMean(e.fn, FUNCTIONS.keys()) ?? `functions: ${[...FUNCTIONS.keys()].join(', ')}`,
      );
    if (e.args.length < spec.minArgs || e.args.length > spec.maxArgs) {
      return this.error(
        e.range,
        `\`${e.fn}\` takes ${arity(spec.minArgs, spec.maxArgs)}, got ${e.args.length}: ${spec.signature}`,
      );
    }
    types.forEach((t, i) => {
      const want = spec.params[Math.min(i, spec.params.length - 1)];
      if (t !== undefined && want !== undefined && t !== want) {
        this.error(
          e.args[i]?.range ?? e.range,
          `argument ${i + 1} of \`${e.fn}\` must be a ${typeName(want)}, got a ${typeName(t)}`,
        );
      }
    });
    const pattern = e.args[0];
    if (e.fn === 'format' && pattern?.kind === 'literal' && typeof pattern.value === 'string') {
      const problem = checkFormat(pattern.value, e.args.length - 1);
      if (problem !== undefined) this.error(pattern.range, problem);
    }
    return spec.result;
  }
}

export function typeName(t: ExprType): string {
  return t === 'bool' ? 'boolean' : t;
}

function declaredHint(known: readonly string[]): string {
  return known.length === 0
    ? 'the pipeline declares no `params:`'
    : `declared parameters: ${known.join(', ')}`;
}

function arity(min: number, max: number): string {
  if (max === Infinity) return `at least ${min} argument${min === 1 ? '' : 's'}`;
  if (min === max) return `${min} argument${min === 1 ? '' : 's'}`;
  return `${min} to ${max} arguments`;
}

type BinaryOp = Extract<Expr, { kind: 'binary' }>['op'];

function binaryResult(op: BinaryOp, operand: ExprType | undefined): ExprType | undefined {
  if (op === '+') return operand;
  if (op === '-' || op === '*' || op === '/') return 'number';
  return 'bool';
}

/** Shared with evaluation, so static and run-time checks say the same thing. */
export function binaryProblem(op: BinaryOp, l: ExprType, r: ExprType): string | undefined {
  const got = `got a ${typeName(l)} and a ${typeName(r)}`;
  switch (op) {
    case '+':
      return l === r && l !== 'bool'
        ? undefined
        : `\`+\` adds two numbers or joins two strings, ${got} (use format() to build text)`;
    case '-':
    case '*':
    case '/':
      return l === 'number' && r === 'number' ? undefined : `\`${op}\` needs two numbers, ${got}`;
    case '<':
    case '<=':
    case '>':
    case '>=':
      return l === r && l !== 'bool' ? undefined : `\`${op}\` compares two numbers or two strings, ${got}`;
    case '==':
    case '!=':
      return l === r ? undefined : `\`${op}\` compares values of the same type, ${got}`;
    case '&&':
    case '||':
      return l === 'bool' && r === 'bool' ? undefined : `\`${op}\` needs two booleans, ${got}`;
  }
}
