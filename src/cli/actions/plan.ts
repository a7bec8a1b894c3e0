// `moe plan` (and `moe run --dry-run`): open, plan against the workspace, print the table (or hand the
// plan back for --json).
import type { PlanJson } from '../../app/plan.js';
import { workspaceFor } from '../../app/workspace.js';
import { CliFailure, EXIT } from '../failure.js';
import { useColor } from '../render/format.js';
import { openOrExit, startChecksOrExit, sweepOrExit } from './open.js';

export interface PlanFlags {
  readonly param: readonly string[];
  readonly sweep: readonly string[];
  readonly workspace?: string | undefined;
  readonly force: readonly string[];
  readonly only: readonly string[];
  readonly from: readonly string[];
}

export async function planCommand(file: string, flags: PlanFlags, json: boolean): Promise<PlanJson> {
  const ws = workspaceFor(file, flags.workspace);
  const { opened, swept } = await sweepOrExit(
    await openOrExit(file, flags.param, ws),
    flags.sweep,
    flags.param,
  );
  await startChecksOrExit(opened);
  const { planInWorkspace } = await import('../../app/plan.js');
  const planned = await planInWorkspace(opened, flags);
  if (!planned.ok) throw new CliFailure(planned.error.message, EXIT.invalid);
  // A node in error (a missing input, say) fails the run this plan describes: so does the plan.
  if (planned.value.entries.some((e) => e.status === 'error')) process.exitCode = EXIT.failed;
  if (!json) {
    const { renderPlan } = await import('../render/plan.js');
    process.stdout.write(renderPlan(planned.value.entries, useColor(process.stdout), swept));
  }
  if (swept === undefined) return planned.value.json;
  const { sweptPlanJson } = await import('../../app/sweep.js');
  return sweptPlanJson(planned.value.json, swept);
}
