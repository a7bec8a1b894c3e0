import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FingerprintRecord } from '../../src/engine/fingerprint.js';
import { diffFingerprints, fingerprintOf } from '../../src/engine/fingerprint.js';
import { canonicalJson } from '../../src/engine/canonical.js';
import { InputDigester } from '../../src/engine/input-digests.js';
import { digest } from '../../src/util/brand.js';

const base: FingerprintRecord = {
  step: 'command',
  stepVersion: '1',
  with: { run: 'python train.py', outputs: { model: 'model' } },
  params: { strength: 0.3 },
  inputs: { 'prep.py': digest('a'.repeat(64)) },
  upstream: { prepare: digest('b'.repeat(64)) },
  env: {},
};

test('canonical JSON sorts keys so equal records hash equally', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, { d: 'x', c: 2 }] }),
    '{"a":[true,null,{"c":2,"d":"x"}],"b":1}',
  );
  const reordered: FingerprintRecord = {
    ...base,
    with: { outputs: { model: 'model' }, run: 'python train.py' },
  };
  assert.equal(fingerprintOf(reordered), fingerprintOf(base));
});

test('the diff names the changed parameter, input, upstream node, env var and step version', () => {
  const next: FingerprintRecord = {
    ...base,
    stepVersion: '2',
    params: { strength: 0.35 },
    inputs: { 'prep.py': digest('c'.repeat(64)), 'data/raw': digest('d'.repeat(64)) },
    upstream: { prepare: digest('e'.repeat(64)) },
    env: { HOME: null },
  };
  assert.deepEqual(diffFingerprints(base, next), [
    'step command version 1 → 2',
    'params.strength 0.3 → 0.35',
    'input data/raw added',
    'input prep.py changed',
    'upstream prepare changed',
    'env HOME changed',
  ]);
  assert.notEqual(fingerprintOf(base), fingerprintOf(next));
});

test('a change in `with` that no parameter explains is shown by its path', () => {
  const next: FingerprintRecord = {
    ...base,
    with: { run: 'python train.py --fast', outputs: { model: 'm2' } },
  };
  assert.deepEqual(diffFingerprints(base, next), [
    'with.outputs.model "model" → "m2"',
    'with.run "python train.py" → "python train.py --fast"',
  ]);
});

test('an unchanged input file is not read again; a touched one is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-digest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'data.bin');
  writeFileSync(file, 'aaaa');
  utimesSync(file, 1_700_000_000, 1_700_000_000);
  const cache = join(dir, 'cache.json');
  const first = new InputDigester(cache);
  const d1 = await first.digestOf(file);
  first.save();
  // Same size and mtime, different bytes: only a stat-cache hit can return the old digest.
  writeFileSync(file, 'bbbb');
  utimesSync(file, 1_700_000_000, 1_700_000_000);
  const second = new InputDigester(cache);
  assert.equal(await second.digestOf(file), d1);
  utimesSync(file, 1_700_000_005, 1_700_000_005);
  const third = new InputDigester(cache);
  assert.notEqual(await third.digestOf(file), d1);
});

test('a directory input changes digest when any file in it changes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-digest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'data', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'data', 'sub', 'x.txt'), 'x');
  const a = await new InputDigester(join(dir, 'c1.json')).digestOf(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'sub', 'y.txt'), 'y');
  const b = await new InputDigester(join(dir, 'c2.json')).digestOf(join(dir, 'data'));
  assert.ok(a && b && a !== b);
  assert.equal(await new InputDigester(join(dir, 'c3.json')).digestOf(join(dir, 'missing')), undefined);
});
