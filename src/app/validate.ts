// `moe validate` (and `moe graph`) as a service: open a pipeline with the step types it can use
// (built-in and its plugins) and the cross-stage rules, and keep every diagnostic for printing.
import { resolve } from 'node:path';
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { Pipeline } from '../pipeline/types.js';

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
  const [{ formatDiagnostics }, { parseParamFlags }] = await Promise.all([
    import('../pipeline/format.js'),
    import('../pipeline/params.js'),
  ]);
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
  const [{ openPipeline }, { workflowRules }] = await Promise.all([
    import('./open.js'),
    import('../workflow/rules.js'),
  ]);
  const opened = await openPipeline(file, { params: params.value, rules: workflowRules });
  if (!opened.ok) return finish(opened.error.diagnostics, undefined, opened.error.source);
  const { pipeline, warnings, source } = opened.value;
  if (pipeline.sweep === undefined) return finish(warnings, pipeline, source);
  // The file's `sweep:`: every variant's values are checked as the defaults were.
  const { sweepOf, variantErrors } = await import('./sweep.js');
  const swept = sweepOf(pipeline, []);
  if (!swept.ok)
    return finish(
      [...warnings, { severity: 'error', code: 'sweep', message: swept.error }],
      pipeline,
      source,
    );
  if (swept.value === undefined) return finish(warnings, pipeline, source);
  const errors = await variantErrors(swept.value, async (variant) => {
    const flags = parseParamFlags([...paramFlags, ...variant]);
    if (!flags.ok) return [];
    const v = await openPipeline(path, { params: flags.value, rules: workflowRules });
    return v.ok ? v.value.warnings : v.error.diagnostics;
  });
  return finish([...warnings, ...errors], pipeline, source);
}
