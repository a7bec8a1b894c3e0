// `moe gc`'s summary: what was (or would be) removed, and the Slurm jobs whose folders were kept.
import type { GcReport } from '../../engine/gc.js';

export function renderGc(r: GcReport, dryRun: boolean): string {
  const verb = dryRun ? 'would remove' : 'removed';
  const lines: string[] = [];
  if (r.verified) {
    lines.push(`verified ${r.verified.checked} store entries: ${r.verified.changed.length} changed`);
    for (const d of r.verified.changed) {
      lines.push(`${verb} store/${d}: its bytes no longer match its digest (the nodes using it rerun)`);
    }
  }
  lines.push(
    `${verb} ${r.removedStoreEntries} store entries, ${r.removedRecords} records, ${r.removedCheckpoints} checkpoints, ${r.removedScratch} scratch/run folders (${mib(r.freedBytes)}); kept ${r.keptStoreEntries} store entries`,
  );
  for (const job of r.inUseByJobs) {
    const why =
      job.state === 'alive'
        ? 'still in squeue'
        : job.state === 'unknown'
          ? 'Slurm could not be asked'
          : 'finished, outputs not yet taken';
    lines.push(`kept the folders of Slurm job ${job.jobId} (node ${job.node}: ${why})`);
  }
  return `${lines.join('\n')}\n`;
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
