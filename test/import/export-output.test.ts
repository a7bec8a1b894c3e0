// `moe export simpletuner -o PATH` where PATH (or the folder of a node in it) is a file: Node's bare
// "ENOTDIR: not a directory, mkdir …" came out with "Code: ENOTDIR" and nothing said what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moe, tempDir, writePipeline } from '../cli/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** oclif wraps the error at 80 columns behind ` ›   `: read it back as one line. */
const unwrapped = (stderr: string): string => stderr.replace(/\s*\n\s*›\s*/g, ' ');

test('export into a file, or a folder holding a file where a node folder goes, is refused clearly', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'images'));
  writePipeline(dir, readFileSync(join(ROOT, 'pipelines', 'ssd1b.yaml'), 'utf8'), 'ssd1b.yaml');
  const data = `data=${join(dir, 'images')}`;
  writeFileSync(join(dir, 'afile'), 'keep me\n');
  const r = moe(['export', 'simpletuner', 'ssd1b.yaml', '-o', 'afile', '--param', data], dir);
  assert.equal(r.code, 2);
  assert.match(
    unwrapped(r.stderr),
    /afile is a file, not a folder: name a folder with -o \(it is made when missing\)/,
  );
  assert.doesNotMatch(r.stderr, /Code: /);
  assert.equal(readFileSync(join(dir, 'afile'), 'utf8'), 'keep me\n');
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'out', 'base'), 'x');
  const s = moe(['export', 'simpletuner', 'ssd1b.yaml', '-o', 'out', '--param', data], dir);
  assert.equal(s.code, 2);
  assert.match(
    unwrapped(s.stderr),
    /cannot write the configs: EEXIST: file already exists, mkdir '.*out\/base'; name another folder with -o/,
  );
  assert.doesNotMatch(s.stderr, /Code: /);
});

test('export into a folder with files of its own (a README, a SimpleTuner config) keeps them; an earlier export is replaced', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'images'));
  writePipeline(dir, readFileSync(join(ROOT, 'pipelines', 'ssd1b.yaml'), 'utf8'), 'ssd1b.yaml');
  const data = `data=${join(dir, 'images')}`;
  // `-o .` in a project: its README.md was overwritten with the export's.
  writeFileSync(join(dir, 'README.md'), '# my project\n');
  const here = moe(['export', 'simpletuner', 'ssd1b.yaml', '-o', '.', '--param', data], dir);
  assert.equal(here.code, 2, here.stdout);
  assert.match(
    unwrapped(here.stderr),
    /README\.md is already there, in a folder no earlier moe export wrote \(its README\.md would say so\); name another folder with -o, or move it away first/,
  );
  assert.equal(readFileSync(join(dir, 'README.md'), 'utf8'), '# my project\n');
  // A hand-written SimpleTuner config where the base expert's goes.
  mkdirSync(join(dir, 'config', 'base'), { recursive: true });
  writeFileSync(join(dir, 'config', 'base', 'config.json'), '{"mine": true}\n');
  const mine = moe(['export', 'simpletuner', 'ssd1b.yaml', '-o', 'config', '--param', data], dir);
  assert.equal(mine.code, 2, mine.stdout);
  assert.equal(readFileSync(join(dir, 'config', 'base', 'config.json'), 'utf8'), '{"mine": true}\n');
  // Exporting again into an export's folder updates it.
  assert.equal(moe(['export', 'simpletuner', 'ssd1b.yaml', '-o', 'st', '--param', data], dir).code, 0);
  const again = moe(['export', 'simpletuner', 'ssd1b.yaml', '-o', 'st', '--param', data], dir);
  assert.equal(again.code, 0, again.stderr);
});
