// Where a plugin file's syntax error is. Node's error for an ES module that does not parse names no line
// (its stack is Node's own loader); `node --check` prints the file, the line and a caret under the column.
// A TypeScript plugin's is in the error tsx (esbuild) throws, after its first line.
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

/**
 * esbuild's "Transform failed with N errors:\nFILE:LINE:COL: ERROR: WHY" (its column counts from 0, and
 * tsx names an .mts/.cts file .ts there): the first error and its place, in `file` when it is that file.
 */
export function transformError(
  e: unknown,
  file: string,
): { readonly message: string; readonly where: string } | undefined {
  if (!(e instanceof Error) || e.name !== 'TransformError') return undefined;
  const m = /^(.+):(\d+):(\d+): ERROR: (.+)$/m.exec(e.message);
  if (m === null) return undefined;
  const stem = (f: string): string => f.replace(/\.[cm]?ts$/, '');
  const path = m[1] ?? '';
  const where = `${stem(path) === stem(file) ? file : path}:${m[2]}:${Number(m[3]) + 1}`;
  return { message: m[4] ?? '', where };
}
