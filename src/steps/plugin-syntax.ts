// Where a plugin file's syntax error is. Node's error for an ES module that does not parse names no line
// (its stack is Node's own loader); `node --check` prints the file, the line and a caret under the column.
import { spawnSync } from 'node:child_process';

/**
 * `file:line:col` of the syntax error `message` in the JavaScript file `file`, or undefined when
 * `node --check` finds no error there or another one (the error is in a module the file imports).
 */
export function syntaxErrorPlace(file: string, message: string): string | undefined {
  if (!/\.[cm]?js$/.test(file)) return undefined;
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0 || typeof r.stderr !== 'string') return undefined;
  const lines = r.stderr.split('\n');
  const head = /^(.*):(\d+)$/.exec(lines[0] ?? '');
  if (head === null || !r.stderr.includes(message)) return undefined;
  const caret = (lines[2] ?? '').indexOf('^');
  return `${file}:${head[2]}${caret >= 0 ? `:${caret + 1}` : ''}`;
}
