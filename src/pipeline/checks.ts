// Per-node checks that need the whole pipeline: expressions (references, types, shell contexts) and the
// `with` block against the step's schema, with expression results standing in for their text.
import type { Diagnostic, SourceRange } from './diagnostic.js';
import type { Draft, DraftCore } from './draft.js';
import { checkExpression } from './expr/check.js';
import type { CheckScope, ExprType } from './expr/check.js';
import { evaluate } from './expr/evaluate.js';
import { defineKey, toJson } from './node.js';
import type { ScalarNode, YamlNode } from './node.js';
import { compileSchema, schemaDiagnostics } from './schema/validate.js';
import { shellContexts } from './shell.js';
import { checkStepPaths } from './step-paths.js';
import type { PathSource } from './step-paths.js';
import { isSingleExpression, splitParts } from './template.js';
import type { Expr, JsonValue, ParamValue, ResolveContext } from './types.js';

let exprTypes = new WeakMap<ScalarNode, ExprType | undefined>();
/** What a string that is one expression over literals and `params` only gives, known at load time. */
let exprValues = new WeakMap<ScalarNode, { value: JsonValue; params: readonly string[] }>();

/**
 * Drops the table of expression types once a pipeline is built: its entries die with the YAML tree, but
 * a weak map keeps the room it grew to (a quarter of a MB after a 10,000-node file).
 */
export function forgetExpressionTypes(): void {
  exprTypes = new WeakMap();
  exprValues = new WeakMap();
}

/** The `params.X` an expression reads, in order, once each. */
function paramsRead(e: Expr, out: string[] = []): string[] {
  if (e.kind === 'ref') {
    const [root, name] = e.path;
    if (root === 'params' && name !== undefined && !out.includes(name)) out.push(name);
  } else if (e.kind === 'unary') paramsRead(e.arg, out);
  else if (e.kind === 'binary') {
    paramsRead(e.left, out);
    paramsRead(e.right, out);
  } else if (e.kind === 'call') for (const a of e.args) paramsRead(a, out);
  return out;
}

const notKnownYet = (): never => {
  throw new Error('known only at run time');
};

/**
 * The value of an expression that reads nothing but literals and `params` (so the run will give the same),
 * or undefined: the environment and other nodes' outputs are known only when the node runs.
 */
function staticValue(e: Expr, params: ReadonlyMap<string, ParamValue>): JsonValue | undefined {
  const ctx: ResolveContext = { params, env: notKnownYet, output: notKnownYet };
  const r = evaluate(e, ctx, { envRead: new Set() });
  return 'error' in r ? undefined : r.value;
}

/** What expressions may know of the pipeline's nodes. */
export type NodesScope = Omit<CheckScope, 'params' | 'self'>;

/** The nodes of `byId` (ids in file order) as expressions see them. */
export function nodesScope(byId: ReadonlyMap<string, DraftCore>, ids: readonly string[]): NodesScope {
  return {
    nodeIds: ids,
    hasNode: (id) => byId.has(id),
    outputsOf: (id) => byId.get(id)?.outputs,
    nodeRange: (id) => byId.get(id)?.keyRange,
  };
}

/**
 * Checks the expressions of `d`'s `with` and adds the nodes they read to its edges. The types found are
 * kept for `checkWith`, for the strings that still have their YAML scalar.
 */
export function checkExpressions(
  d: DraftCore,
  nodes: NodesScope,
  params: CheckScope['params'],
  diagnostics: Diagnostic[],
): void {
  const scope: CheckScope = {
    params,
    nodeIds: nodes.nodeIds,
    hasNode: nodes.hasNode,
    outputsOf: nodes.outputsOf,
    nodeRange: nodes.nodeRange,
    self: d.id,
  };
  const shellFields = new Set(d.step?.shellFields ?? []);
  const edges: Draft['edges'][number][] = [];
  for (const s of d.strings) {
    let type: ExprType | undefined = 'string';
    for (const part of s.template.parts) {
      if (typeof part === 'string') continue;
      const result = checkExpression(part, scope);
      diagnostics.push(...result.diagnostics);
      for (const n of result.nodes) edges.push({ to: n, range: part.range });
      if (isSingleExpression(s.template.parts)) {
        type = result.type;
        if (s.node !== undefined && type !== undefined && result.nodes.size === 0) {
          const value = staticValue(part, params);
          if (value !== undefined) exprValues.set(s.node, { value, params: paramsRead(part) });
        }
      }
    }
    if (s.node !== undefined) exprTypes.set(s.node, type);
    const top = s.path[0];
    if (typeof top === 'string' && shellFields.has(top)) {
      const { literals, exprs } = splitParts(s.template.parts);
      for (const problem of shellContexts(literals).errors) {
        diagnostics.push({
          severity: 'error',
          code: 'shell-context',
          message: problem.message,
          range: exprs[problem.index]?.range ?? s.template.range,
        });
      }
    }
  }
  // `concat` makes an array of exactly the edges (a pushed-to array keeps room for 16 more).
  if (edges.length > 0) d.edges = d.edges.concat(edges);
}

export function checkWith(d: Draft, diagnostics: Diagnostic[]): void {
  if (d.step === undefined) return;
  const validate = compileSchema(d.step.withSchema);
  if ('error' in validate) {
    diagnostics.push({
      severity: 'error',
      code: 'step-schema',
      message: `step type \`${d.step.name}\` has a parameter schema that does not compile: ${validate.error}`,
      range: d.keyRange,
      suggestion: "fix the step's withSchema where it is defined (`moe steps PIPELINE` names its file)",
    });
    return;
  }
  // An expression over params only stands in with its value, so the schema checks the value the node
  // will get (a range, an integer, one of a list) here, not after its upstream nodes have run.
  const value = staticWith(d);
  diagnostics.push(
    ...schemaDiagnostics(validate, {
      root: d.withNode,
      value,
      path: `nodes.${d.id}.with`,
      fallback: d.keyRange,
      expressions: (n) => {
        if (!exprTypes.has(n)) return undefined;
        const known = exprValues.get(n);
        return known ? { type: exprTypes.get(n), params: known.params } : { type: exprTypes.get(n) };
      },
    }),
  );
}

/** The `with` block as written, each expression over literals and params replaced by its value. */
function staticWith(d: Draft): JsonValue {
  let value = d.withNode === undefined ? {} : toJson(d.withNode);
  for (const s of d.strings) {
    const known = s.node && exprValues.get(s.node);
    if (known) value = replaced(value, s.path, known.value);
  }
  return value;
}

/**
 * The node's output and input paths, checked as the node will get them: a path written out and the same
 * path from `${{ params.x }}` are judged alike, the latter reported at the expression.
 */
export function checkPaths(d: Draft, diagnostics: Diagnostic[]): void {
  if (d.step === undefined) return;
  const source: PathSource = (path) => {
    const written = d.withNode === undefined ? undefined : findString(d.withNode, path);
    if (written !== undefined) return { range: written };
    for (const s of d.strings) {
      const known = s.node && exprValues.get(s.node);
      if (known?.value === path) return { range: s.template.range, params: known.params };
    }
    return { range: d.keyRange };
  };
  checkStepPaths(d.step, staticWith(d), source, diagnostics);
}

/** The range of the first string value equal to `text`, to point at the path the user wrote. */
function findString(node: YamlNode, text: string): SourceRange | undefined {
  switch (node.kind) {
    case 'scalar':
      return node.value === text ? node.range : undefined;
    case 'seq':
      for (const i of node.items) {
        const r = findString(i, text);
        if (r !== undefined) return r;
      }
      return undefined;
    case 'map':
      for (const e of node.entries) {
        const r = findString(e.value, text);
        if (r !== undefined) return r;
      }
      return undefined;
  }
}

/** `value` with the value at `path` replaced (copies along the path: `toJson`'s results are shared). */
function replaced(value: JsonValue, path: readonly (string | number)[], by: JsonValue): JsonValue {
  const [head, ...rest] = path;
  if (head === undefined) return by;
  if (Array.isArray(value) && typeof head === 'number' && head < value.length) {
    const out = value.slice();
    out[head] = replaced(value[head] as JsonValue, rest, by);
    return out;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof head === 'string') {
    if (!Object.prototype.hasOwnProperty.call(value, head)) return value;
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) defineKey(out, k, k === head ? replaced(v, rest, by) : v);
    return out;
  }
  return value;
}
