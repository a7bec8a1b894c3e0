// Validation's part of the compose size check (compose-size.ts): a compose.inference node whose model is
// a models.tiny node's output has the tiny VAE's factor, known from the pipeline alone.
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { PipelineRule } from '../pipeline/rule-api.js';
import { nodeId } from '../util/brand.js';
import { COMPOSE_STEP, composeSizeDiagnostics, TINY_STEP, TINY_VAE_FACTOR } from './compose-size.js';

/** The node a `${{ nodes.X.outputs.Y }}` value names, when it is exactly one such reference. */
const REFERENCE = /^\s*\$\{\{\s*nodes\.([A-Za-z0-9_-]+)\.outputs\.[A-Za-z0-9_-]+\s*\}\}\s*$/;

export const composeSizeRule: PipelineRule = (pipeline, ctx) => {
  const out: Diagnostic[] = [];
  for (const node of ctx.nodesOfStep(COMPOSE_STEP)) {
    const model = ctx.withValue(node.id, ['model'])?.raw;
    const from = typeof model === 'string' ? REFERENCE.exec(model)?.[1] : undefined;
    if (from === undefined || pipeline.nodes.get(nodeId(from))?.step !== TINY_STEP) continue;
    const sides = {
      width: ctx.withValue(node.id, ['width']),
      height: ctx.withValue(node.id, ['height']),
    };
    out.push(...composeSizeDiagnostics(node.id, sides, TINY_VAE_FACTOR));
  }
  return out;
};
