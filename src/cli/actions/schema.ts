// `moe schema`: the JSON Schema editors use for pipeline files (the YAML language server), for the
// built-in steps or for a pipeline's steps including its plugins', printed or written to a file.
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { removeQuietly } from '../../util/remove-quietly.js';
import { sameFile } from '../../util/same-file.js';
import { CliFailure, EXIT } from '../failure.js';
import { readableOrExit } from './open.js';

/** Prints the schema, or writes it to `out` and says so on stderr. */
export async function schemaCommand(file: string | undefined, out: string | undefined): Promise<void> {
  if (file !== undefined && !existsSync(file)) throw new CliFailure(`${file}: no such file`, EXIT.invalid);
  if (file !== undefined) await readableOrExit(file);
  const { editorSchemaText } = await import('../../app/editor-schema.js');
  const schema = await editorSchemaText(file);
  if (!schema.ok) throw new CliFailure(schema.error, EXIT.invalid);
  const { text, steps, sources } = schema.value;
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  const path = resolve(out);
  if (existsSync(path) && statSync(path).isDirectory())
    throw new CliFailure(
      `cannot write ${out}: it is a folder; give a file name, e.g. ${join(out, 'pipeline.schema.json')}`,
      EXIT.failed,
    );
  const source = sources.find((s) => sameFile(s, path));
  if (source !== undefined)
    throw new CliFailure(
      `cannot write ${out}: it is ${source}, which the schema is made from; write the schema to its own file, e.g. ${join(dirname(out), 'pipeline.schema.json')}`,
      EXIT.invalid,
    );
  const partial = `${path}.${process.pid}.partial`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    // Written beside and renamed, so an editor never reads half a schema.
    writeFileSync(partial, text);
    renameSync(partial, path);
  } catch (e) {
    removeQuietly(partial);
    throw new CliFailure(`cannot write ${out}: ${(e as Error).message}`, EXIT.failed);
  }
  process.stderr.write(`${out}: the schema of ${steps.length} step types (${steps.join(', ')})\n`);
}
