// Declared inputs and outputs are paths a pipeline author writes; none may reach outside the directory it
// is relative to (`../../etc`), which would let a pipeline read or overwrite arbitrary files.
import { isAbsolute, normalize, sep } from 'node:path';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

/**
 * Checks a relative path that must stay inside its base directory and returns it normalised.
 * Absolute paths are refused when `allowAbsolute` is false (outputs); inputs may name absolute paths
 * (a data set elsewhere on disk) but never climb out of the pipeline directory with `..`.
 */
export function checkRelativePath(
  path: string,
  what: string,
  opts: { readonly allowAbsolute: boolean },
): Result<string, string> {
  if (path === '') return err(`${what} path is empty`);
  if (path.includes('\0')) return err(`${what} path ${JSON.stringify(path)} contains a NUL byte`);
  if (isAbsolute(path)) {
    return opts.allowAbsolute
      ? ok(normalize(path))
      : err(`${what} path ${JSON.stringify(path)} must be relative`);
  }
  const normalised = normalize(path);
  if (normalised === '..' || normalised.startsWith(`..${sep}`)) {
    return err(`${what} path ${JSON.stringify(path)} leaves its directory`);
  }
  return ok(normalised === '.' ? '.' : normalised.replace(/[\\/]+$/, ''));
}
