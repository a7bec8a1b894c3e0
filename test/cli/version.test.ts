import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

test('moe version --json prints the package version', () => {
  const out = execFileSync(process.execPath, ['bin/moe.js', 'version', '--json'], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { version: pkg.version });
});
