import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const moe = (...args: string[]) => spawnSync(process.execPath, ['bin/moe.js', ...args], { encoding: 'utf8' });

test('moe models tiny writes the family and reports it; a non-empty folder is a clear error with exit code 2', async () => {
  const base = await mkdtemp(join(tmpdir(), 'moe-tiny-cli-'));
  const dir = join(base, 'tiny');
  const run = moe('models', 'tiny', dir, '--seed', '4', '--json');
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { seed: number; files: { path: string }[]; totalBytes: number };
  assert.equal(report.seed, 4);
  assert.equal(report.files.length, 21);
  assert.ok((await readdir(dir)).includes('model_index.json'));

  const busy = join(base, 'busy');
  await mkdir(busy);
  await writeFile(join(busy, 'x'), '');
  const refused = moe('models', 'tiny', busy);
  assert.equal(refused.status, 2);
  // oclif wraps long messages and marks continued lines with ›.
  assert.match(
    refused.stderr.replace(/\s*›\s*|\s+/g, ' '),
    /busy exists and is not empty; choose a new folder/,
  );
  assert.doesNotMatch(refused.stderr, /\n\s+at /);
});

test('moe models tiny --block-out-channels widens the UNet; bad widths are a clear error with exit code 2', async () => {
  const base = await mkdtemp(join(tmpdir(), 'moe-tiny-cli-'));
  const run = moe('models', 'tiny', join(base, 'wide'), '--block-out-channels', '32,72', '--json');
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual((JSON.parse(run.stdout) as { blockOutChannels: number[] }).blockOutChannels, [32, 72]);
  const config = JSON.parse(await readFile(join(base, 'wide', 'unet', 'config.json'), 'utf8')) as {
    block_out_channels: number[];
  };
  assert.deepEqual(config.block_out_channels, [32, 72]);

  const refused = moe('models', 'tiny', join(base, 'bad'), '--block-out-channels', '32,x');
  assert.equal(refused.status, 2);
  assert.match(
    refused.stderr.replace(/\s*›\s*|\s+/g, ' '),
    /block_out_channels \[32, NaN\]: level 1's NaN is not an integer from 1 to 512; give 2 multiples of 8/,
  );
  assert.doesNotMatch(refused.stderr, /\n\s+at /);
  await assert.rejects(readdir(join(base, 'bad')), { code: 'ENOENT' });
});
