// A sweep for `moe run`/`plan`/`compare`: the file's `sweep:` with the `--sweep` flags over it, expanded
// into one graph of every variant (shared nodes once), and remembered as the pipeline's last sweep.
import type { SweepOutline } from '../engine/events.js';
import type { PlanJson } from './plan.js';
import { readLastSweep, writeLastSweep } from '../engine/sweep-file.js';
import type { ExpandedSweep } from '../engine/variants.js';
import { expandSweep } from '../engine/variants.js';
import type { Workspace } from '../engine/workspace.js';
import { pipelineKey } from '../engine/workspace.js';
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { Sweep } from '../pipeline/sweep.js';
import { applySweepFlags } from '../pipeline/sweep.js';
import type { Pipeline } from '../pipeline/types.js';
import { nodeId } from '../util/brand.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

/**
 * The variants of `pipeline` with `--sweep` flags applied; undefined when nothing is swept. A `sweep`
 * given replaces the file's (`moe compare` passes the last sweep's).
 */
export function sweepOf(
  pipeline: Pipeline,
  flags: readonly string[],
  sweep: Sweep | undefined = pipeline.sweep,
): Result<ExpandedSweep | undefined, string> {
  const applied = applySweepFlags(sweep, flags, pipeline.params);
  if (applied.errors.length > 0) return err(applied.errors.join('\n'));
  if (applied.sweep === undefined || applied.sweep.axes.length + applied.sweep.include.length === 0)
    return ok(undefined);
  const expanded = expandSweep(pipeline, applied.sweep);
  if (expanded === undefined) return err('the sweep has no variant left: exclude: removes every combination');
  return ok(expanded);
}

/**
 * Each variant's errors: the file opened again with the variant's values as `--param`s (`open`), so what
 * validation checks of params (step schemas against params-only values, the split-schedule rules) holds
 * for every variant, not only for the defaults. Each message names its variant; problems every variant
 * shares with the plain pipeline were reported when it was opened.
 */
export async function variantErrors(
  expanded: ExpandedSweep,
  open: (params: readonly string[]) => Promise<readonly Diagnostic[]>,
): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  for (const v of expanded.variants) {
    const flags = Object.entries(v.params).map(([k, value]) => `${k}=${String(value)}`);
    for (const d of await open(flags)) {
      if (d.severity === 'error') out.push({ ...d, message: `variant ${v.label}: ${d.message}` });
    }
  }
  return out;
}

export function outlineOf(expanded: ExpandedSweep): SweepOutline {
  return { axes: expanded.axes, variants: expanded.variants.map((v) => v.label) };
}

/** Remembers the sweep `moe run` has started as run `runId`, for `moe compare` and `moe status`. */
export function rememberSweep(
  ws: Workspace,
  pipeline: Pipeline,
  expanded: ExpandedSweep,
  params: readonly string[],
  runId: string,
): void {
  writeLastSweep(ws, pipelineKey(pipeline.file), {
    file: pipeline.file,
    sweep: expanded.sweep,
    params,
    startedAt: new Date().toISOString(),
    runId,
  });
}

export { readLastSweep };

/** `moe plan --json` of a sweep: each node's variants (their labels), and the sweep itself. */
export function sweptPlanJson(json: PlanJson, swept: ExpandedSweep): PlanJson {
  return {
    ...json,
    nodes: json.nodes.map((n) => ({ ...n, variants: swept.serves.get(nodeId(n.node)) ?? [] })),
    sweep: outlineOf(swept),
  };
}
