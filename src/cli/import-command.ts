// The base of `moe import …`: whatever the source, the command ends the same way (see writeImported).
import { Command } from '@oclif/core';
import type { Result } from '../util/result.js';
import type { Imported } from '../import/imported.js';
import { EXIT } from './failure.js';

export abstract class ImportCommand extends Command {
  /**
   * Ends the command with an importer's result: its error and exit code 2, or the pipeline written to
   * `output` (stdout when absent) with the notes and each option not carried over (`describe`d).
   */
  protected async finish<N>(
    result: Result<Imported<N>, string>,
    output: string | undefined,
    describe: (n: N) => string,
  ): Promise<unknown> {
    if (!result.ok) this.error(result.error, { exit: EXIT.invalid });
    const { writeImported } = await import('./actions/import.js');
    return writeImported(result.value, output, this.jsonEnabled(), describe);
  }
}
