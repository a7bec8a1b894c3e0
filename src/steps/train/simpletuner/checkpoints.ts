// SimpleTuner's checkpoints: {output_dir}/checkpoint-N/, complete once `.guard` (written last) or
// training_state.json is there. An interrupted save leaves a folder without them; SimpleTuner's
// `resume_from_checkpoint=latest` picks the highest N by name, so incomplete ones are moved aside first.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Checkpoint {
  readonly step: number;
  readonly path: string;
}

const NAME = /^checkpoint-(\d+)$/;

function scan(
  outputDir: string,
): { readonly step: number; readonly path: string; readonly complete: boolean }[] {
  if (!existsSync(outputDir)) return [];
  const found = [];
  for (const entry of readdirSync(outputDir, { withFileTypes: true })) {
    const m = NAME.exec(entry.name);
    if (!entry.isDirectory() || !m) continue;
    const path = join(outputDir, entry.name);
    const complete = existsSync(join(path, '.guard')) || existsSync(join(path, 'training_state.json'));
    found.push({ step: Number(m[1]), path, complete });
  }
  return found.sort((a, b) => a.step - b.step);
}

/** The complete checkpoints in an expert's output_dir, oldest first. */
export function listCheckpoints(outputDir: string): Checkpoint[] {
  return scan(outputDir)
    .filter((c) => c.complete)
    .map(({ step, path }) => ({ step, path }));
}

export function latestCheckpoint(outputDir: string): Checkpoint | undefined {
  return listCheckpoints(outputDir).at(-1);
}

/** Removes half-written checkpoints so `latest` can only mean a complete one; returns how many. */
export function dropIncompleteCheckpoints(outputDir: string): number {
  const bad = scan(outputDir).filter((c) => !c.complete);
  for (const c of bad) {
    const aside = `${c.path}.incomplete`;
    rmSync(aside, { recursive: true, force: true });
    renameSync(c.path, aside);
    rmSync(aside, { recursive: true, force: true });
  }
  return bad.length;
}
