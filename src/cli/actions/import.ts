// How `moe import …` ends, whatever the source: the pipeline written to a file (or printed without --json),
// then on stderr the importer's notes and each option it could not carry over.
import { writeFile } from 'node:fs/promises';
import type { Imported } from '../../import/imported.js';
import { sameFile } from '../../util/same-file.js';

/**
 * Writes the imported pipeline to `output` (stdout when absent, unless `json`) and, unless `json`, the notes
 * and one line per option not carried over (`describe`d by the importer); returns the --json result.
 */
export async function writeImported<N>(
  imported: Imported<N>,
  output: string | undefined,
  json: boolean,
  describe: (n: N) => string,
): Promise<{
  readonly pipeline: string;
  readonly notCarried: readonly N[];
  readonly notes: readonly string[];
}> {
  const { yaml, notCarried, notes } = imported;
  const err = (line: string): boolean => process.stderr.write(`${line}\n`);
  const source = output === undefined ? undefined : imported.sources.find((s) => sameFile(s, output));
  if (source !== undefined) {
    // Overwriting it would lose the configuration the pipeline was imported from.
    throw new Error(`it is ${source}, which the pipeline is imported from`);
  }
  if (output !== undefined) await writeFile(output, yaml);
  else if (!json) process.stdout.write(`${yaml}\n`);
  if (!json) {
    for (const n of notes) err(`note: ${n}`);
    if (notCarried.length === 0) err('every option was carried over');
    else {
      err(`${notCarried.length} option(s) not carried over:`);
      for (const n of notCarried) err(`  ${describe(n)}`);
    }
    if (output !== undefined) err(`wrote ${output}`);
  }
  return { pipeline: yaml, notCarried, notes };
}
