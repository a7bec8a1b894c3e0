// A temporary folder for one test, removed after it (t.after) whatever the outcome: the fixture the tests
// that write files start from, instead of mkdtemp and a try/finally in each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function tempFolder(t: TestContext, prefix = 'moe-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
