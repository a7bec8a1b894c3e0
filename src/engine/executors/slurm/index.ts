// The Slurm executor: build it from a pipeline's `executor:` block (or `--executor slurm`).
import { join } from 'node:path';
import type { Pipeline } from '../../../pipeline/types.js';
import type { Result } from '../../../util/result.js';
import { err, ok } from '../../../util/result.js';
import { SlurmExecutor } from './executor.js';
import { slurmSettings } from './sbatch.js';

export { SlurmExecutor } from './executor.js';
export type { SlurmExecutorOptions } from './executor.js';
export { sbatchArgs, slurmSettings } from './sbatch.js';
export type { SlurmSettings } from './sbatch.js';
export { execNode } from './exec-node.js';

/** How a job re-enters moe: this same moe binary, `exec-node SPEC`. */
export function defaultExecNodeCommand(): string[] {
  const entry = process.argv[1];
  return entry === undefined
    ? ['moe', 'exec-node']
    : [process.execPath, ...process.execArgv, entry, 'exec-node'];
}

export function createSlurmExecutor(
  pipeline: Pipeline,
  workspaceRoot: string,
): Result<SlurmExecutor, string> {
  const settings = slurmSettings(pipeline.executor?.kind === 'slurm' ? pipeline.executor.options : {});
  if (!settings.ok) return err(settings.error);
  return ok(
    new SlurmExecutor({
      settings: settings.value,
      stateDir: join(workspaceRoot, 'slurm'),
      pipelineFile: pipeline.file,
      timeoutOf: (node) => pipeline.nodes.get(node as never)?.timeoutMs,
      command: settings.value.command ?? defaultExecNodeCommand(),
    }),
  );
}
