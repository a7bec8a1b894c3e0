// Opening a pipeline for `moe run` and `moe plan`: the composition root opens it; every diagnostic is
// printed the one way, warnings on stderr, errors as a failure with exit code 2.
import { hostname } from 'node:os';
import { relative, resolve } from 'node:path';
import type { WorkspacePipeline } from '../../app/open.js';
import type { ExpandedSweep } from '../../engine/variants.js';
import type { Workspace } from '../../engine/workspace.js';
import { CliFailure, EXIT } from '../failure.js';
import { useColor } from '../render/format.js';

export async function openOrExit(
  file: string,
  paramFlags: readonly string[],
  ws: Workspace,
  opts: { readonly deferCacheWrite?: boolean } = {},
): Promise<WorkspacePipeline> {
  const { openInWorkspace } = await import('../../app/open.js');
  const opened = await openInWorkspace(file, paramFlags, ws, opts);
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

/**
 * The checks a run or plan makes before anything runs, beyond the file's own validation (a compose node's
 * size against its model folder's VAE): an error exits with code 2, printed as the file's are.
 */
export async function startChecksOrExit(opened: WorkspacePipeline): Promise<void> {
  const { startDiagnostics } = await import('../../app/start-checks.js');
  const errors = await startDiagnostics(opened.pipeline);
  if (errors.length === 0) return;
  const { formatDiagnostics } = await import('../../pipeline/format.js');
  const file = opened.pipeline.file;
  const text = formatDiagnostics(errors, {
    color: useColor(process.stderr),
    relativeTo: process.cwd(),
    source: (f) => (f === file ? opened.source : undefined),
  });
  throw new CliFailure(text.trimEnd(), EXIT.invalid);
}

/**
 * For the commands that read only a pipeline's plugins (`steps FILE`, `schema FILE`): a file they cannot
 * read as a pipeline (missing, a folder, not UTF-8) is an error, not a silent list of the built-in steps.
 */
export async function readableOrExit(file: string): Promise<void> {
  const { DEFAULT_MAX_BYTES, readPipelineText } = await import('../../pipeline/read-text.js');
  const text = await readPipelineText(resolve(file), DEFAULT_MAX_BYTES, file);
  if (typeof text === 'string') return;
  const { formatDiagnostics } = await import('../../pipeline/format.js');
  const format = { color: useColor(process.stderr), relativeTo: process.cwd(), source: () => text.text };
  throw new CliFailure(formatDiagnostics([text.diagnostic], format).trimEnd(), EXIT.invalid);
}

/** Why a workspace that cannot be written to stops a command, and what to do about it. */
export function unwritable(ws: Workspace, reason: string): string {
  // A full disk is not made writable by permissions: room is what it needs.
  const todo = /^(ENOSPC|EDQUOT)\b/.test(reason) ? 'free some space' : 'make it writable';
  return `cannot write to the workspace ${shownWorkspace(ws)} (${reason}); ${todo}, or choose another with --workspace DIR`;
}

/**
 * For a lock taken on another machine (a file system shared with it), which moe cannot check from here:
 * what to do when that run is gone (the machine restarted, its job killed); '' for a lock taken here.
 */
export function remoteHolderHint(ws: Workspace, holder: { readonly host: string }): string {
  if (holder.host === hostname()) return '';
  const lock = relative(process.cwd(), ws.lockFile) || ws.lockFile;
  return `; moe cannot see the processes of ${holder.host}: if no moe runs there on this workspace any more, delete ${lock}`;
}

/** "workspace .moe" as a person reads it: relative to the current directory. */
export function shownWorkspace(ws: Workspace): string {
  return relative(process.cwd(), ws.root) || '.';
}

/**
 * The `--sweep` flags over the file's `sweep:`: the pipeline swapped for the graph of every variant, or
 * left as it is when nothing is swept. A bad flag fails with exit code 2.
 */
export async function sweepOrExit(
  opened: WorkspacePipeline,
  flags: readonly string[],
  paramFlags: readonly string[],
): Promise<{ opened: WorkspacePipeline; swept: ExpandedSweep | undefined }> {
  // Nothing to sweep: the sweep modules stay unloaded (a cached rerun does not need them).
  if (flags.length === 0 && opened.pipeline.sweep === undefined) return { opened, swept: undefined };
  const [{ sweepOf, variantErrors }, { variantDiagnostics }] = await Promise.all([
    import('../../app/sweep.js'),
    import('../../app/open.js'),
  ]);
  const swept = sweepOf(opened.pipeline, flags);
  if (!swept.ok) throw new CliFailure(swept.error, EXIT.invalid);
  if (swept.value === undefined) return { opened, swept: undefined };
  const file = opened.pipeline.file;
  const errors = await variantErrors(swept.value, (variant) =>
    variantDiagnostics(file, [...paramFlags, ...variant], opened.workspace),
  );
  if (errors.length > 0) {
    const { formatDiagnostics } = await import('../../pipeline/format.js');
    const text = formatDiagnostics(errors, {
      color: useColor(process.stderr),
      relativeTo: process.cwd(),
      source: (f) => (f === file ? opened.source : undefined),
    });
    throw new CliFailure(text.trimEnd(), EXIT.invalid);
  }
  return { opened: { ...opened, pipeline: swept.value.pipeline }, swept: swept.value };
}
