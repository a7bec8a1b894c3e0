// `moe validate`: every diagnostic of a pipeline, as text on stderr or as JSON on stdout; exit code 2 when
// the pipeline is invalid. Shared by the oclif command and the fast path (src/cli/fast).
import { resolve } from 'node:path';
import type { Diagnostic } from '../../pipeline/diagnostic.js';
import type { Pipeline } from '../../pipeline/types.js';
import { EXIT } from './support.js';

export async function validateCommand(
  file: string,
  paramFlags: readonly string[],
  json: boolean,
): Promise<void> {
  const result = await checkPipeline(file, paramFlags);
  if (json) {
    const { diagnosticJson } = await import('../../pipeline/report.js');
    process.stdout.write(
      `${JSON.stringify({ valid: result.valid, diagnostics: result.diagnostics.map(diagnosticJson) }, null, 2)}\n`,
    );
  } else {
    const text = result.render(process.stderr.isTTY === true && process.env['NO_COLOR'] === undefined);
    if (text !== '') process.stderr.write(text);
    if (result.valid)
      process.stdout.write(`${file}: valid (${result.nodeCount} node${result.nodeCount === 1 ? '' : 's'})\n`);
  }
  if (!result.valid) process.exitCode = EXIT.invalid;
}

// Shared with `moe graph`: open a pipeline with the step types it can use (built-in and its plugins,
// through the engine's opener) and keep every diagnostic for printing. Services load lazily so the
// command table stays cheap to import.
export interface PipelineCheck {
  readonly valid: boolean;
  /** Errors and warnings, in file order. */
  readonly diagnostics: readonly Diagnostic[];
  readonly pipeline: Pipeline | undefined;
  readonly nodeCount: number;
  /** The diagnostics as text for a terminal. */
  render(color: boolean): string;
}

export async function checkPipeline(file: string, paramFlags: readonly string[]): Promise<PipelineCheck> {
  const { formatDiagnostics, parseParamFlags } = await import('../../pipeline/index.js');
  const path = resolve(file);
  const finish = (
    diagnostics: readonly Diagnostic[],
    pipeline: Pipeline | undefined,
    source: string | undefined,
  ): PipelineCheck => ({
    valid: pipeline !== undefined && !diagnostics.some((d) => d.severity === 'error'),
    diagnostics,
    pipeline,
    nodeCount: pipeline?.nodes.size ?? 0,
    render: (color) =>
      formatDiagnostics(diagnostics, {
        source: (f) => (f === path ? source : undefined),
        color,
        relativeTo: process.cwd(),
      }),
  });
  const params = parseParamFlags(paramFlags);
  if (!params.ok) {
    return finish([{ severity: 'error', code: 'param-flag', message: params.error }], undefined, undefined);
  }
  const { openPipeline } = await import('../../app/open.js');
  const { workflowRules } = await import('../../workflow/rules.js');
  const opened = await openPipeline(path, { params: params.value, rules: workflowRules });
  if (!opened.ok) return finish(opened.error.diagnostics, undefined, opened.error.source);
  return finish(opened.value.warnings, opened.value.pipeline, opened.value.source);
}
