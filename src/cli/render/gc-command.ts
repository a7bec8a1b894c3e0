// `moe gc`.
import { relative } from 'node:path';
import type { GcReport } from '../../engine/gc.js';
import { CliFailure, EXIT, workspaceFor } from './support.js';

export async function gcCommand(
  file: string | undefined,
  flags: {
    readonly workspace?: string | undefined;
    readonly 'dry-run': boolean;
    readonly 'keep-runs': number;
  },
  json: boolean,
): Promise<GcReport> {
  const ws = workspaceFor(file, flags.workspace);
  const { collectGarbage } = await import('../../engine/gc.js');
  const result = await collectGarbage(ws, { dryRun: flags['dry-run'], keepRuns: flags['keep-runs'] });
  if (!result.ok) {
    const h = result.error.holder;
    throw new CliFailure(
      `workspace ${relative(process.cwd(), ws.root) || '.'} is in use by ${h.command} (pid ${h.pid}); try again when it ends`,
      EXIT.busy,
    );
  }
  const r = result.value;
  if (!json) {
    const verb = flags['dry-run'] ? 'would remove' : 'removed';
    process.stdout.write(
      `${verb} ${r.removedStoreEntries} store entries, ${r.removedRecords} records, ${r.removedCheckpoints} checkpoints, ${r.removedScratch} scratch/run folders (${mib(r.freedBytes)}); kept ${r.keptStoreEntries} store entries\n`,
    );
    for (const job of r.inUseByJobs) {
      const why =
        job.state === 'alive'
          ? 'still in squeue'
          : job.state === 'unknown'
            ? 'Slurm could not be asked'
            : 'finished, outputs not yet taken';
      process.stdout.write(`kept the folders of Slurm job ${job.jobId} (node ${job.node}: ${why})\n`);
    }
  }
  return r;
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
