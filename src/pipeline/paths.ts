// Paths users write (inputs relative to the pipeline file, outputs relative to a node's output dir) must
// stay inside their base directory: `../../etc/passwd` or `/etc` is a diagnostic, never a read or write
// outside the workspace.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { err, ok } from '../util/result.js';
import type { Result } from '../util/result.js';

/**
 * The absolute path of `userPath` under `base` (`where` names `base` in messages), or a message saying why it is refused: empty, absolute,
 * containing a NUL, or leading outside `base` once `..` segments are applied. The check is lexical;
 * callers that follow symlinks should also compare real paths.
 */
export function resolveInside(
  base: string,
  userPath: string,
  where = 'its directory',
): Result<string, string> {
  if (userPath.trim() === '') return err('the path is empty');
  if (userPath.includes('\0')) return err('the path contains a NUL character');
  if (isAbsolute(userPath) || /^[A-Za-z]:[\\/]/.test(userPath))
    return err(`\`${userPath}\` is an absolute path; paths are relative to ${where}`);
  const root = resolve(base);
  const target = resolve(root, userPath);
  const rel = relative(root, target);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    return err(`\`${userPath}\` leads outside ${where}`);
  return ok(target);
}
