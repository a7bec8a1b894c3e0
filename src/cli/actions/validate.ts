// `moe validate`: every diagnostic of a pipeline, as text on stderr or as JSON on stdout; exit code 2 when
// the pipeline is invalid. Shared by the oclif command and the fast path (src/cli/fast).
import { checkPipeline } from '../../app/validate.js';
import { EXIT } from '../failure.js';

export async function validateCommand(
  file: string,
  paramFlags: readonly string[],
  json: boolean,
): Promise<void> {
  const result = await checkPipeline(file, paramFlags);
  if (json) {
    const { diagnosticJson } = await import('../../pipeline/format.js');
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
