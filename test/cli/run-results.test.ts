import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

test('moe run ends by naming the outputs of the final nodes, cached or not', () => {
  const ws = mkdtempSync(join(tmpdir(), 'moe-results-'));
  try {
    for (let i = 0; i < 2; i++) {
      const out = execFileSync(
        process.execPath,
        ['bin/moe.js', 'run', 'pipelines/demo.yaml', '--workspace', ws],
        { cwd: root, encoding: 'utf8' },
      );
      const line = out.split('\n').find((l) => l.trim().startsWith('report.report: '));
      assert.ok(line, `no results line in:\n${out}`);
      const path = line.trim().slice('report.report: '.length);
      assert.ok(existsSync(join(path, 'report.txt')), `${path} has no report.txt`);
      assert.match(readFileSync(join(path, 'report.txt'), 'utf8'), /HELLO WORLD 1!/);
    }
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
