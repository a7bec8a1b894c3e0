// What the tiny pipelines' end-to-end tests share: a temp workspace per test file and the `moe run`
// arguments that run a shipped pipeline there, made small with --param overrides.
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The repository root. */
export const ROOT = new URL('../..', import.meta.url).pathname;

/** A fresh workspace under the temp folder, removed after the file's tests. */
export function tempWorkspace(prefix: string): string {
  const ws = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(ws, { recursive: true, force: true }));
  return ws;
}

/** `moe run PIPELINE --workspace WS --jobs 2 --param k=v …` for pipelines/`file`. */
export function smallRunArgs(file: string, ws: string, params: Readonly<Record<string, number>>): string[] {
  return [
    'run',
    join(ROOT, 'pipelines', file),
    '--workspace',
    ws,
    '--jobs',
    '2',
    ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
  ];
}
