// A full disk under the workspace: every failure of moe's own writes fails the node with its cause, counts
// it, leaves `moe status` true and no temporary files behind. The workspace lives on a real 1 MiB tmpfs
// (mounting needs root; elsewhere the test is skipped, saying so).
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rig, pipelineOf } from './rig.js';
import { MOE } from '../cli/helpers.js';
import { latestRunId, readRunReport } from '../../src/engine/status.js';
import { workspaceAt } from '../../src/engine/workspace.js';
import type { Workspace } from '../../src/engine/workspace.js';

/** A fresh 1 MiB tmpfs, unmounted after the test; undefined when this machine does not allow mounting. */
function smallDisk(t: TestContext): string | undefined {
  const dir = mkdtempSync('/tmp/moe-fulldisk-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  t.after(() => {
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** A rig whose workspace lies on a small tmpfs (undefined where mounting one needs root), cleaned up after the test. */
function onSmallDisk(t: TestContext): { readonly rig: Rig; readonly ws: Workspace } | undefined {
  const disk = smallDisk(t);
  if (!disk) return undefined;
  const rig = new Rig();
  t.after(() => rig.cleanup());
  return { rig, ws: workspaceAt(join(disk, '.moe')) };
}

function statusOf(ws: Workspace): ReturnType<typeof readRunReport> {
  return readRunReport(ws, latestRunId(ws, undefined)!);
}

test('the record write fails on a full disk: node-failed with the cause, counted, status true, no temp files', async (t) => {
  const setup = onSmallDisk(t);
  if (!setup) return t.skip('mounting a tmpfs needs root here');
  const { rig, ws } = setup;
  // The command fills the disk through its checkpoint folder (kept until the node commits) and leaves an
  // empty output, so its step succeeds and moe's own record write is what finds no room. (Once: the rerun
  // below must find room.)
  const p = pipelineOf(rig.dir, {
    fill: {
      step: 'command',
      with: {
        run: 'if [ ! -e filled ]; then touch filled; dd if=/dev/zero of="$MOE_CHECKPOINT_DIR/pad" bs=4k 2>/dev/null; fi; : > "$MOE_OUT/out.txt"',
        outputs: { out: 'out.txt' },
      },
    },
    after: {
      step: 'command',
      with: { run: 'cat ${{ nodes.fill.outputs.out }} > "$MOE_OUT/o"', outputs: { o: 'o' } },
    },
  });
  const summary = await rig.run(p, { workspace: ws });
  assert.equal(summary.status, 'failed');
  assert.equal(summary.counts.failed, 1);
  assert.equal(summary.failures[0]?.node, 'fill');
  assert.match(summary.failures[0]!.error, /could not write the node's record: .*no space left on device/i);
  const failed = rig.events.find((e) => e.type === 'node-failed');
  assert.ok(failed && failed.type === 'node-failed' && failed.kind === 'internal');

  const report = statusOf(ws);
  assert.equal(report?.status, 'failed');
  const fill = report?.nodes.find((n) => n.node === 'fill');
  assert.equal(fill?.state, 'failed');
  assert.match(fill?.error ?? '', /no space left on device/i);
  assert.equal(report?.nodes.find((n) => n.node === 'after')?.state, 'skipped');
  assert.deepEqual(
    filesUnder(ws.root).filter((f) => f.endsWith('.tmp')),
    [],
    'a temporary file was left behind',
  );

  // Room again: the rerun completes.
  for (const f of filesUnder(ws.checkpoints)) rmSync(f);
  const again = await rig.run(p, { workspace: ws });
  assert.equal(again.status, 'succeeded', JSON.stringify(again.failures));
  assert.equal(statusOf(ws)?.status, 'succeeded');
});

test('a command that fills the disk fails saying the file system was full, though its own message found no room', async (t) => {
  const setup = onSmallDisk(t);
  if (!setup) return t.skip('mounting a tmpfs needs root here');
  const { rig, ws } = setup;
  const p = pipelineOf(rig.dir, {
    big: {
      step: 'command',
      with: { run: 'dd if=/dev/zero of="$MOE_OUT/big" bs=4k', outputs: { big: 'big' } },
    },
  });
  const summary = await rig.run(p, { workspace: ws });
  assert.equal(summary.status, 'failed');
  assert.match(
    summary.failures[0]!.error,
    /command exited with code 1.*file system was full when the step ended/,
  );
  const report = statusOf(ws);
  assert.equal(report?.nodes[0]?.state, 'failed');
  assert.match(report?.nodes[0]?.error ?? '', /file system was full/);
  assert.deepEqual(
    filesUnder(ws.root).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

test('a disk full before the run starts: the lock names its file and says to free space; no empty lock is left', async (t) => {
  const setup = onSmallDisk(t);
  if (!setup) return t.skip('mounting a tmpfs needs root here');
  const { rig, ws } = setup;
  writeFileSync(
    join(rig.dir, 'p.yaml'),
    'version: 1\nname: full\nnodes:\n  a: { step: command, with: { run: "true" } }\n',
  );
  spawnSync('dd', ['if=/dev/zero', `of=${join(ws.root, '..', 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
  const r = spawnSync(process.execPath, [MOE, 'run', 'p.yaml', '--workspace', ws.root], {
    cwd: rig.dir,
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /\(ENOSPC: no space left on device, write '.*\/\.moe\/lock'\); free some space, or choose/,
  );
  assert.ok(!readdirSync(ws.root).includes('lock'), 'no empty lock file left in the workspace');
});
