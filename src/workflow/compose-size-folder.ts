// The run's and the plan's part of the compose size check (compose-size.ts): a compose.inference node
// whose model is a folder known before running (a path, literal or from params) has the factor its VAE's
// config gives. Read when a run or plan starts, not at validation: the folder is not part of the file
// (validation is cached by the file's text), and it may exist only where the pipeline runs.
import type { Diagnostic } from '../pipeline/diagnostic.js';
import { resolveWith } from '../pipeline/resolve.js';
import type { Pipeline, PipelineNode, ResolveContext, WithTemplate } from '../pipeline/types.js';
import { resolveUserPath } from '../steps/dataset/paths.js';
import type { SideValue } from './compose-size.js';
import { COMPOSE_STEP, composeSizeDiagnostics, folderVaeFactor } from './compose-size.js';

/** An error at each compose width or height that its model folder's VAE factor does not divide. */
export function composeFolderDiagnostics(pipeline: Pipeline): Diagnostic[] {
  const out: Diagnostic[] = [];
  // A factor per folder: a sweep's variants share one model.
  const factors = new Map<string, ReturnType<typeof folderVaeFactor>>();
  for (const node of pipeline.nodes.values()) {
    if (node.step !== COMPOSE_STEP) continue;
    const width = staticValue(pipeline, node, 'width');
    const height = staticValue(pipeline, node, 'height');
    if (width === undefined && height === undefined) continue;
    const model = staticValue(pipeline, node, 'model')?.value;
    if (typeof model !== 'string') continue;
    const dir = resolveUserPath(pipeline.dir, model, 'model');
    if (!dir.ok) continue;
    if (!factors.has(dir.value)) factors.set(dir.value, folderVaeFactor(dir.value));
    const vae = factors.get(dir.value);
    if (vae !== undefined) out.push(...composeSizeDiagnostics(node.id, { width, height }, vae));
  }
  return out;
}

/** A top-level `with` value of the node when it reads only literals and params; undefined otherwise. */
function staticValue(pipeline: Pipeline, node: PipelineNode, key: string): SideValue | undefined {
  if (node.with.kind !== 'map') return undefined;
  const template: WithTemplate | undefined = node.with.entries.find(([k]) => k === key)?.[1];
  if (template === undefined) return undefined;
  const runTimeOnly = (): never => {
    throw new Error('known only at run time');
  };
  const ctx: ResolveContext = {
    params: node.params ?? pipeline.params,
    env: runTimeOnly,
    output: runTimeOnly,
  };
  const resolved = resolveWith(template, ctx, { shellFields: new Set() });
  return resolved.ok ? { value: resolved.value.value, range: template.range } : undefined;
}
