// resolveInside: user-written paths stay inside their base directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveInside } from '../../src/pipeline/paths.js';

test('paths inside the base resolve to absolute paths', () => {
  assert.deepEqual(resolveInside('/ws/out', 'model'), { ok: true, value: '/ws/out/model' });
  assert.deepEqual(resolveInside('/ws/out', 'a/../b/./c'), { ok: true, value: '/ws/out/b/c' });
  assert.deepEqual(resolveInside('/ws/out', '.'), { ok: true, value: '/ws/out' });
  assert.deepEqual(resolveInside('/ws/out', '..data'), { ok: true, value: '/ws/out/..data' });
});

test('escapes, absolute paths, empty paths and NULs are refused with a reason', () => {
  const refused = (p: string) => {
    const r = resolveInside('/ws/out', p, 'the output directory');
    assert.equal(r.ok, false, p);
    return r.ok ? '' : r.error;
  };
  assert.equal(refused('../../etc/passwd'), '`../../etc/passwd` leads outside the output directory');
  assert.equal(refused('a/../../x'), '`a/../../x` leads outside the output directory');
  assert.equal(refused('..'), '`..` leads outside the output directory');
  assert.equal(
    refused('/etc/shadow'),
    '`/etc/shadow` is an absolute path; paths are relative to the output directory',
  );
  assert.equal(
    refused('C:\\Windows'),
    '`C:\\Windows` is an absolute path; paths are relative to the output directory',
  );
  assert.equal(refused(''), 'the path is empty');
  assert.equal(refused('a\0b'), 'the path contains a NUL character');
});
