import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referencePath } from '../../fixtures/reference-data.js';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const REF = referencePath('unet-tiny-sdxl');

function moe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'moe.js'), ...args], { encoding: 'utf8' });
  // oclif wraps error lines to the terminal width behind '›' markers: join them back into one line.
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' '),
  };
}

test('moe models unet converts a diffusers folder to OUT_DIR/model.onnx', () => {
  const out = mkdtempSync(join(tmpdir(), 'moe-unet-cli-'));
  try {
    const r = moe('models', 'unet', REF, join(out, 'unet'), '--json');
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { modelPath: string; parameters: number; externalBytes: number };
    assert.equal(result.modelPath, join(out, 'unet', 'model.onnx'));
    assert.equal(result.parameters, 1_038_948);
    assert.equal(result.externalBytes, 0);
    assert.ok(existsSync(join(out, 'unet', 'model.onnx')));
    assert.ok(!existsSync(join(out, 'unet', 'model.onnx_data')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('an unsupported config is a one-line error naming the option, exit code 2, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-unet-cli-bad-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ class_embed_type: 'timestep' }));
    const r = moe('models', 'unet', dir, join(dir, 'out'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unsupported class_embed_type = "timestep"/);
    assert.doesNotMatch(r.stderr, / at .*\.(js|ts):\d+/);
    const missing = moe('models', 'unet', join(dir, 'nope'), join(dir, 'out'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /config\.json: no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
