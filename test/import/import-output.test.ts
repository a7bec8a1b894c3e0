// `moe import … -o PATH` where PATH is a folder or lies in a folder that does not exist: Node's bare
// "EISDIR: illegal operation on a directory" came out with "Code: EISDIR" and nothing said what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moe, tempDir } from '../cli/helpers.js';

const SEED = fileURLToPath(new URL('../fixtures/simpletuner-seed/stage1.env', import.meta.url));

/** oclif wraps the error at 80 columns behind ` ›   `: read it back as one line. */
const unwrapped = (stderr: string): string => stderr.replace(/\s*\n\s*›\s*/g, ' ');

test('import -o naming a folder, or a file in a missing folder, is refused with what to do', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'adir'));
  const d = moe(['import', 'simpletuner', SEED, '-o', 'adir'], dir);
  assert.equal(d.code, 2);
  assert.match(
    unwrapped(d.stderr),
    /cannot write adir: it is a folder; name a file with -o, e\.g\. adir\/moe\.yaml/,
  );
  assert.doesNotMatch(d.stderr, /Code: /);
  const m = moe(['import', 'simpletuner', SEED, '-o', 'nodir/x.yaml'], dir);
  assert.equal(m.code, 2);
  assert.match(
    unwrapped(m.stderr),
    /cannot write nodir\/x\.yaml: the folder nodir does not exist; make it first/,
  );
});
