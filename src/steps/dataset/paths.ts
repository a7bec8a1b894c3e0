// Paths from a pipeline's `with` block and from manifests, checked before anything is read: a relative
// path may not climb out of the directory it is relative to (`../../etc/passwd` in a downloaded manifest).
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { err, ok, type Result } from '../../util/result.js';

function escapes(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

/**
 * A path the user wrote in the pipeline. Relative paths resolve against the pipeline directory and must
 * stay inside it. Absolute paths are taken as written: that is how upstream outputs
 * (`${{ nodes.x.outputs.y }}`) arrive, and how a user names a data set on another disk on purpose.
 */
export function resolveUserPath(pipelineDir: string, given: string, what: string): Result<string, string> {
  if (given.trim() === '' || given.includes('\0'))
    return err(`${what}: expected a path, got ${JSON.stringify(given)}`);
  if (isAbsolute(given)) return ok(resolve(given));
  const target = resolve(pipelineDir, given);
  if (escapes(pipelineDir, target)) {
    return err(
      `${what} "${given}" points outside the pipeline directory (${pipelineDir}); ` +
        'relative paths must stay inside it (write an absolute path to use data elsewhere on purpose)',
    );
  }
  return ok(target);
}

/** A path read from inside a data set (a manifest row): relative, and inside `root`. */
export function resolveInside(root: string, given: string): Result<string, string> {
  if (given.trim() === '' || given.includes('\0'))
    return err(`expected a file path, got ${JSON.stringify(given)}`);
  if (isAbsolute(given)) return err(`absolute path "${given}" is not allowed; paths are relative to ${root}`);
  const target = resolve(root, given);
  if (escapes(root, target)) return err(`path "${given}" points outside the data set folder ${root}`);
  return ok(target);
}
