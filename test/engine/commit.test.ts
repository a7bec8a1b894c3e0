// Committing a node's outputs: each file is hashed and made read-only through one open. The digest must
// be the tree's content digest whatever the file's size (small files share one reused buffer), and the
// stamp the one a later use takes of the stored entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rig } from './rig.js';
import { hashTree } from '../../src/engine/hashing.js';
import { stampAt, Store } from '../../src/engine/store.js';
import { storePath } from '../../src/engine/workspace.js';

test('a commit stores the bytes under their digest, read-only, with the stamp a later use takes', async (t) => {
  const rig = new Rig();
  const copies = mkdtempSync(join(tmpdir(), 'moe-commit-'));
  t.after(() => {
    rig.cleanup();
    rmSync(copies, { recursive: true, force: true });
  });
  const store = new Store(rig.ws, 'commit');
  // A large file first, then small ones: the buffer they are read into is reused and must not leak the
  // large file's bytes into a smaller file's digest.
  const trees: Record<string, string | Buffer>[] = [
    { 'big.bin': Buffer.alloc(200_000, 7), 'small.txt': 'x' },
    { 'small.txt': 'x', 'empty.txt': '' },
    { 'small.txt': 'y', 'nested/deep.txt': 'z'.repeat(70_000) },
  ];
  for (const [i, files] of trees.entries()) {
    const staging = join(rig.ws.root, `staging-${i}`);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(staging, path, '..'), { recursive: true });
      writeFileSync(join(staging, path), content);
    }
    writeFileSync(join(staging, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const copy = join(copies, String(i));
    cpSync(staging, copy, { recursive: true });
    const { digest, stamp } = await store.commitOutputs(staging);
    assert.equal(digest, await hashTree(copy), `tree ${i}: the digest of the same bytes`);
    const entry = storePath(rig.ws, digest);
    assert.equal(stampAt(entry), stamp, `tree ${i}: the stamp a later use takes`);
    for (const path of Object.keys(files)) {
      assert.equal(statSync(join(entry, path)).mode & 0o777, 0o444, `${path} is read-only`);
      assert.deepEqual(readFileSync(join(entry, path)), readFileSync(join(copy, path)));
    }
    assert.equal(statSync(join(entry, 'run.sh')).mode & 0o777, 0o555, 'an executable keeps its x bits');
  }
});
