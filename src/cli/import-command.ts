// The base of `moe import …`: whatever the source, the command ends the same way (see writeImported).
import { dirname, join } from 'node:path';
import { Command } from '@oclif/core';
import type { Result } from '../util/result.js';
import type { Imported } from '../import/imported.js';
import { EXIT } from './failure.js';

export abstract class ImportCommand extends Command {
  /** `--name`, refused when empty: the pipeline written would fail `moe validate`. */
  protected pipelineName(name: string | undefined): string | undefined {
    if (name !== undefined && name.trim() === '')
      this.error('--name must not be empty; leave it out to name the pipeline after the file', {
        exit: EXIT.invalid,
      });
    return name;
  }

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
    try {
      return await writeImported(result.value, output, this.jsonEnabled(), describe);
    } catch (e) {
      if (output === undefined) throw e;
      return this.error(cannotWrite(output, e), { exit: EXIT.invalid });
    }
  }
}

/** Why the pipeline could not be written to `output`, and what to do. */
function cannotWrite(output: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'EISDIR'
      ? `it is a folder; name a file with -o, e.g. ${join(output, 'moe.yaml')}`
      : code === 'ENOENT'
        ? `the folder ${dirname(output)} does not exist; make it first`
        : `${(e as Error).message}; name another file with -o`;
  return `cannot write ${output}: ${why}`;
}
