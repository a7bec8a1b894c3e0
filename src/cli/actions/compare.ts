// `moe compare`: the last sweep's variants ranked by the objective, as a table (or JSON), and optionally
// a self-contained HTML page.
import { resolve } from 'node:path';
import type { ComparisonJson } from '../../app/compare.js';
import { workspaceFor } from '../../app/workspace.js';
import { sameFile } from '../../util/same-file.js';
import { CliFailure, EXIT } from '../failure.js';
import { useColor } from '../render/format.js';
import { openOrExit } from './open.js';

export interface CompareFlags {
  readonly param: readonly string[];
  readonly sweep: readonly string[];
  readonly workspace?: string | undefined;
  readonly html?: string | undefined;
}

export async function compareCommand(
  file: string,
  flags: CompareFlags,
  json: boolean,
): Promise<ComparisonJson> {
  if (flags.html !== undefined && sameFile(flags.html, file))
    throw new CliFailure(
      `cannot write ${flags.html}: it is the pipeline file; give the page its own name, e.g. sweep.html`,
      EXIT.invalid,
    );
  const ws = workspaceFor(file, flags.workspace);
  const { compareLastSweep, comparisonJson, lastSweepParams } = await import('../../app/compare.js');
  // Opened as the sweep ran it, unless --param says otherwise.
  const params = flags.param.length > 0 ? flags.param : lastSweepParams(ws, resolve(file));
  const opened = await openOrExit(file, params, ws);
  const compared = await compareLastSweep(opened, flags.sweep);
  if (!compared.ok) {
    throw new CliFailure(
      compared.error.message,
      compared.error.reason === 'no-sweep' ? EXIT.failed : EXIT.invalid,
    );
  }
  const comparison = compared.value;
  if (flags.html !== undefined) {
    const { writeComparePage } = await import('../../app/compare-page.js');
    const written = await writeComparePage(comparison, resolve(flags.html));
    if (!written.ok) throw new CliFailure(written.error, EXIT.failed);
    if (!json) process.stderr.write(`wrote ${flags.html}\n`);
  }
  if (!json) {
    const { renderComparison } = await import('../render/compare.js');
    process.stdout.write(renderComparison(comparison, useColor(process.stdout)));
  }
  return comparisonJson(comparison);
}
