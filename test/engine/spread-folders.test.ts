// The staging folder asks ext4 to spread the folders made in it (the `T` attribute): a fresh workspace's
// staging folder has it where the file system supports it, the store entries made in it do not inherit
// it, and where it cannot be set (no `chattr`, no such folder) nothing fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { spreadSubfolders } from '../../src/engine/spread-folders.js';

/** The attribute letters `lsattr -d` shows for a folder; undefined where it cannot tell. */
function attributes(dir: string): string | undefined {
  const r = spawnSync('lsattr', ['-d', dir], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split(' ')[0] : undefined;
}

/** Whether `chattr +T` works on a folder beside the rig's (same file system). */
function supported(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'moe-spread-'));
  try {
    return spawnSync('chattr', ['+T', probe]).status === 0 && (attributes(probe) ?? '').includes('T');
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

test("a fresh workspace's staging folder spreads its folders; store entries do not inherit it", async (t) => {
  if (!supported()) return t.skip('this file system has no T attribute (or chattr is missing)');
  const rig = new Rig();
  t.after(() => rig.cleanup());
  const summary = await rig.run(
    pipelineOf(rig.dir, {
      a: { step: 'command', with: { run: 'echo a > "$MOE_OUT/out.txt"', outputs: { out: 'out.txt' } } },
    }),
  );
  assert.equal(summary.status, 'succeeded');
  // `chattr` runs beside the run: wait for it (at most 5 s).
  for (let i = 0; i < 100 && !(attributes(rig.ws.staging) ?? '').includes('T'); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(attributes(rig.ws.staging)?.includes('T'), `staging: ${attributes(rig.ws.staging)}`);
  const rec = summary.records.get('a' as never);
  assert.ok(rec);
  const entry = join(rig.ws.store, rec.outputs.digest);
  assert.equal(readFileSync(join(entry, 'out.txt'), 'utf8'), 'a\n');
  assert.ok(!attributes(entry)?.includes('T'), `store entry: ${attributes(entry)}`);
});

test('spreading is best effort: a missing folder or no chattr on PATH fails nothing', async () => {
  const path = process.env['PATH'];
  try {
    spreadSubfolders(join(tmpdir(), 'moe-spread-no-such-folder', 'staging'));
    process.env['PATH'] = join(tmpdir(), 'moe-spread-no-such-bin');
    spreadSubfolders(tmpdir());
  } finally {
    process.env['PATH'] = path;
  }
  // The failures arrive as events after the call: an unhandled one would fail this test.
  await new Promise((r) => setTimeout(r, 300));
});
