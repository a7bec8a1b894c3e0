import { resolve } from 'node:path';
import { Args, Command, Flags } from '@oclif/core';
import type { Diagnostic } from '../../pipeline/diagnostic.js';
import type { Pipeline } from '../../pipeline/types.js';

export default class Validate extends Command {
  static override description =
    'Check a pipeline file: YAML, structure, step parameters, expressions, references, cycles. Prints every problem at once; exit code 2 when the pipeline is invalid.';
  static override examples = [
    '<%= config.bin %> validate p.yaml',
    '<%= config.bin %> validate p.yaml --param strength=0.3 --json',
  ];
  static override args = { file: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = {
    param: Flags.string({
      char: 'p',
      description: 'override a parameter: name=value',
      multiple: true,
      default: [],
    }),
    json: Flags.boolean({ description: 'print {valid, diagnostics} as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Validate);
    const result = await checkPipeline(args.file, flags.param);
    if (flags.json) {
      const { diagnosticJson } = await import('../../pipeline/report.js');
      this.log(
        JSON.stringify({ valid: result.valid, diagnostics: result.diagnostics.map(diagnosticJson) }, null, 2),
      );
    } else {
      const text = result.render(process.stderr.isTTY === true && process.env['NO_COLOR'] === undefined);
      if (text !== '') process.stderr.write(text);
      if (result.valid)
        this.log(`${args.file}: valid (${result.nodeCount} node${result.nodeCount === 1 ? '' : 's'})`);
    }
    if (!result.valid) this.exit(2);
  }
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
  if ('error' in params) {
    return finish(
      [{ severity: 'error', code: 'param-flag', message: String(params.error) }],
      undefined,
      undefined,
    );
  }
  const { openPipeline } = await import('../../engine/open.js');
  const { workflowRules } = await import('../../workflow/rules.js');
  const opened = await openPipeline(path, { params: params as Record<string, string>, rules: workflowRules });
  if (!opened.ok) return finish(opened.error.diagnostics, undefined, opened.error.source);
  return finish(opened.value.warnings, opened.value.pipeline, opened.value.source);
}
