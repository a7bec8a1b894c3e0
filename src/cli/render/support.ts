// What the run/plan/status/gc/steps commands share: opening a pipeline with diagnostics printed the one
// way, finding the workspace, and the exit codes.
import { dirname, join, resolve } from 'node:path';
import type { WorkspacePipeline } from '../../app/open.js';
import type { Workspace } from '../../engine/workspace.js';
import { workspaceAt } from '../../engine/workspace.js';
import { useColor } from './format.js';

export const EXIT = { ok: 0, failed: 1, invalid: 2, busy: 3, interrupted: 130 } as const;

export class CliFailure extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * Ends a command that failed for a user-facing reason: the message on stderr (or as `{"error": …}` on
 * stdout with --json; on one line where the command streams NDJSON) and the exit code set, no stack
 * trace. Anything else is a bug and is rethrown.
 */
export function endWithFailure(e: unknown, json: boolean, ndjson = false): undefined {
  if (!(e instanceof CliFailure)) throw e;
  process.exitCode = e.exitCode;
  if (e.message === '') return undefined;
  if (json)
    process.stdout.write(
      `${JSON.stringify({ error: { message: e.message, exitCode: e.exitCode } }, null, ndjson ? undefined : 2)}\n`,
    );
  else process.stderr.write(`${e.message}\n`);
  return undefined;
}

/** Loads the pipeline, or prints every diagnostic and fails with exit code 2. Warnings go to stderr. */
export async function openOrExit(
  file: string,
  paramFlags: readonly string[],
  ws: Workspace,
): Promise<WorkspacePipeline> {
  const { openInWorkspace } = await import('../../app/open.js');
  const opened = await openInWorkspace(file, paramFlags, ws);
  if (opened.ok && opened.value.warnings.length === 0) return opened.value;
  const { formatDiagnostics } = await import('../../pipeline/format.js');
  const format = { color: useColor(process.stderr), relativeTo: process.cwd() };
  if (opened.ok) {
    const source = opened.value.source;
    process.stderr.write(formatDiagnostics(opened.value.warnings, { ...format, source: () => source }));
    return opened.value;
  }
  const problem = opened.error;
  if (problem.reason === 'param-flag') throw new CliFailure(problem.message, EXIT.invalid);
  const text = formatDiagnostics(problem.diagnostics, {
    ...format,
    source: (f) => (f === resolve(file) ? problem.source : undefined),
  });
  throw new CliFailure(text.trimEnd(), EXIT.invalid);
}

/** `--workspace DIR`, or `.moe/` beside the pipeline file (or in the current directory). */
export function workspaceFor(file: string | undefined, flag: string | undefined): Workspace {
  if (flag !== undefined) return workspaceAt(resolve(flag));
  return workspaceAt(join(file === undefined ? process.cwd() : dirname(resolve(file)), '.moe'));
}
