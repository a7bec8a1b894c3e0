// Where a program would be found when started by name, as execvp looks: a name with a slash as a path
// (relative to the working directory), any other name in each PATH folder in turn.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Result } from './result.js';
import { err, ok } from './result.js';

/**
 * The executable file `file` names, or why there is none ("simpletuner not found on PATH (…)", "./x is
 * not executable"). `path` is the PATH to search; `cwd` the folder the program would start in.
 */
export function findProgram(file: string, path: string | undefined, cwd: string): Result<string, string> {
  if (file.includes('/')) {
    const at = isAbsolute(file) ? file : resolve(cwd, file);
    const why = notExecutable(at);
    return why === undefined ? ok(at) : err(`${file} ${why}`);
  }
  // An empty PATH entry means the working directory (POSIX).
  const dirs = (path ?? '').split(delimiter).map((d) => (d === '' ? cwd : resolve(cwd, d)));
  for (const dir of dirs) {
    const at = join(dir, file);
    if (notExecutable(at) === undefined) return ok(at);
  }
  return err(`${file} not found on PATH (${path === undefined || path === '' ? 'PATH is empty' : path})`);
}

/** Undefined when `at` is a file this process may execute; otherwise why not. */
function notExecutable(at: string): string | undefined {
  const stat = statSync(at, { throwIfNoEntry: false });
  if (stat === undefined) return 'does not exist';
  if (!stat.isFile()) return 'is not a file';
  try {
    accessSync(at, constants.X_OK);
    return undefined;
  } catch {
    return 'is not executable';
  }
}
