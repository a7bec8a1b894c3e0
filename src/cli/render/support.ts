// What the run/plan/status/gc/steps commands share: opening a pipeline with diagnostics printed the one
// way, finding the workspace, and the exit codes.
import { dirname, join, resolve } from 'node:path';
import type { OpenedPipeline } from '../../engine/open.js';
import type { Workspace } from '../../engine/workspace.js';
import type { Pipeline } from '../../pipeline/types.js';
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
): Promise<OpenedPipeline> {
  // Only the modules a cached rerun needs: the loader (yaml, ajv) loads only when the file changed.
  const [{ parseParamFlags }, { formatDiagnostics }] = await Promise.all([
    import('../../pipeline/params.js'),
    import('../../pipeline/format.js'),
  ]);
  const params = parseParamFlags(paramFlags);
  if ('error' in params) throw new CliFailure(String(params.error), EXIT.invalid);
  const { openPipeline } = await import('../../engine/open.js');
  const { workflowRules } = await import('../../workflow/rules.js');
  const opened = await openPipeline(file, {
    params: params as Record<string, string>,
    cacheDir: join(ws.cache, 'pipelines'),
    rules: workflowRules,
  });
  const color = useColor(process.stderr);
  if (!opened.ok) {
    const source = opened.error.source;
    const text = formatDiagnostics(opened.error.diagnostics, {
      source: (f) => (f === resolve(file) ? source : undefined),
      color,
      relativeTo: process.cwd(),
    });
    throw new CliFailure(text.trimEnd(), EXIT.invalid);
  }
  await rememberEvaluations(opened.value, ws);
  if (opened.value.warnings.length > 0) {
    process.stderr.write(
      formatDiagnostics(opened.value.warnings, {
        source: () => opened.value.source,
        color,
        relativeTo: process.cwd(),
      }),
    );
  }
  return opened.value;
}

/** `--workspace DIR`, or `.moe/` beside the pipeline file (or in the current directory). */
export function workspaceFor(file: string | undefined, flag: string | undefined): Workspace {
  if (flag !== undefined) return workspaceAt(resolve(flag));
  return workspaceAt(join(file === undefined ? process.cwd() : dirname(resolve(file)), '.moe'));
}

/**
 * Gives the opened pipeline an evaluation memo read from the workspace (`cache/evaluations`), so a rerun
 * of an unchanged file skips resolving every node's `with`; `saveEvaluations` writes back what was added.
 */
async function rememberEvaluations(opened: OpenedPipeline, ws: Workspace): Promise<void> {
  const [{ EvaluationMemo, useEvaluationMemo }, { evaluationKey, readEvaluations }, { resolveWith }] =
    await Promise.all([
      import('../../engine/evaluate.js'),
      import('../../engine/pipeline-cache.js'),
      import('../../pipeline/resolve.js'),
    ]);
  const dir = join(ws.cache, 'evaluations');
  const key = evaluationKey(opened.pipeline, opened.source, opened.registry);
  useEvaluationMemo(opened.pipeline, new EvaluationMemo(resolveWith, readEvaluations(dir, key) ?? {}));
  saving.set(opened.pipeline, { dir, key });
}

const saving = new WeakMap<Pipeline, { readonly dir: string; readonly key: string }>();

/** Writes the pipeline's evaluation memo back when this run added to it. */
export async function saveEvaluations(pipeline: Pipeline): Promise<void> {
  const where = saving.get(pipeline);
  if (where === undefined) return;
  const [{ evaluationMemoOf }, { writeEvaluations }] = await Promise.all([
    import('../../engine/evaluate.js'),
    import('../../engine/pipeline-cache.js'),
  ]);
  const memo = evaluationMemoOf(pipeline);
  if (memo?.dirty) writeEvaluations(where.dir, where.key, memo.entries());
}
