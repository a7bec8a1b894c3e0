// Per-node checks that need the whole pipeline: expressions (references, types, shell contexts) and the
// `with` block against the step's schema, with expression results standing in for their text.
import type { Diagnostic } from './diagnostic.js';
import type { Draft, DraftCore } from './draft.js';
import { checkExpression } from './expr/check.js';
import type { CheckScope, ExprType } from './expr/check.js';
import { toJson } from './node.js';
import type { ScalarNode } from './node.js';
import { compileSchema, schemaDiagnostics } from './schema/validate.js';
import { shellContexts } from './shell.js';
import { isSingleExpression, splitParts } from './template.js';

let exprTypes = new WeakMap<ScalarNode, ExprType | undefined>();

/**
 * Drops the table of expression types once a pipeline is built: its entries die with the YAML tree, but
 * a weak map keeps the room it grew to (a quarter of a MB after a 10,000-node file).
 */
export function forgetExpressionTypes(): void {
  exprTypes = new WeakMap();
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
      if (isSingleExpression(s.template.parts)) type = result.type;
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
    });
    return;
  }
  diagnostics.push(
    ...schemaDiagnostics(validate, {
      root: d.withNode,
      value: d.withNode === undefined ? {} : toJson(d.withNode),
      path: `nodes.${d.id}.with`,
      fallback: d.keyRange,
      expressions: (n) => (exprTypes.has(n) ? { type: exprTypes.get(n) } : undefined),
    }),
  );
}
