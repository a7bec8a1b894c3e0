// The workflow rules load only when a pipeline is not in the loaded-pipeline cache, so the cache key
// stands for their code by its files (WORKFLOW_RULE_CODE in src/app/open.ts). That list must cover every
// module the rules import, directly or not, or an edit there would leave a stale cached pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKFLOW_RULE_CODE } from '../../src/app/open.js';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** The relative modules a file imports at run time (type-only imports left out), as paths under src/. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(/(?:^|\s)(import|export)(\s+type)?\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/()()\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ]
    .filter((m) => m[2] === undefined && (m[3] as string).startsWith('.'))
    .map((m) => resolve(dirname(file), (m[3] as string).replace(/\.js$/, '.ts')));
}

test('the code that stands for the workflow rules covers every module they load', () => {
  const covered = WORKFLOW_RULE_CODE.map((p) => relative(src, resolve(src, 'app', p)));
  // The pipeline modules are part of every cache key already (the loader's own identity).
  const inKey = (file: string): boolean =>
    [...covered, 'pipeline'].some((c) => file === `${c}.ts` || file.startsWith(`${c}/`));
  const seen = new Set<string>();
  const queue = [resolve(src, 'workflow/rules.ts')];
  const missing: string[] = [];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const rel = relative(src, file);
    if (!inKey(rel)) missing.push(rel);
    queue.push(...runtimeImports(file));
  }
  assert.ok(seen.size > 10, `the scan found the rules' imports (${seen.size} modules)`);
  assert.deepEqual(missing, []);
});
