import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { JsonValue } from '../../src/pipeline/types.js';
import type { ProgressUpdate, StepContext } from '../../src/contract/step.js';
import { runSimpleTuner } from '../../src/steps/train/simpletuner/runner.js';
import type { SimpleTunerSpec } from '../../src/steps/train/simpletuner/spec.js';
import { WRITE_CHECKPOINT_JS } from './standin.js';

// A stand-in for `simpletuner train`: records its arguments and environment, reads the config it was
// given, resumes from the latest complete checkpoint-N, prints tqdm lines as SimpleTuner does, writes
// checkpoints (with .guard last) and finally pipeline/. With STANDIN_DIE_AT=N it fails after step N.
const STANDIN = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const cfg = JSON.parse(fs.readFileSync(process.env.CONFIG_PATH, 'utf8'));
const out = cfg.output_dir;
fs.mkdirSync(out, { recursive: true });
const done = fs.readdirSync(out).map((n) => /^checkpoint-(\\d+)$/.exec(n)).filter(Boolean)
  .filter((m) => fs.existsSync(path.join(out, m[0], '.guard'))).map((m) => Number(m[1]));
const start = cfg.resume_from_checkpoint === 'latest' && done.length ? Math.max(...done) : 0;
fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify({ argv: process.argv.slice(2),
  backend: process.env.CONFIG_BACKEND, config: process.env.CONFIG_PATH, start }) + '\\n');
const total = cfg.max_train_steps;
const dieAt = Number(process.env.STANDIN_DIE_AT || 0);
process.stderr.write('(id=images) loaded 8 images\\n');
for (let s = start + 1; s <= total; s++) {
  process.stderr.write('\\rEpoch 1/2, Steps:  ' + Math.floor(100 * s / total) + '%|##   | ' + s + '/' + total +
    ' [00:01<00:02, 3.1it/s, step_loss=' + (0.5 / s).toExponential(2) + ', lr=' + cfg.learning_rate + ']');
${WRITE_CHECKPOINT_JS}
  if (s === dieAt) { process.stderr.write('\\nCUDA out of memory\\n'); process.exit(1); }
}
fs.mkdirSync(path.join(out, 'pipeline', 'unet'), { recursive: true });
fs.writeFileSync(path.join(out, 'pipeline', 'unet', 'config.json'), JSON.stringify({ steps: total }));
`;

function context(root: string, env: Record<string, string>, updates: ProgressUpdate[], warnings: string[]) {
  const infos: string[] = [];
  const outDir = join(root, 'out');
  const tmpDir = join(root, 'tmp');
  mkdirSync(outDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  const ctx: StepContext<JsonValue> = {
    nodeId: 'train-base',
    with: {},
    outDir,
    checkpointDir: join(root, 'ckpt'),
    sharedCacheDir: join(root, 'cache'),
    tmpDir,
    logFile: join(root, 'node.log'),
    pipelineDir: root,
    attempt: 1,
    signal: new AbortController().signal,
    log: { info: (m) => infos.push(m), warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    progress: (u) => updates.push(u),
    env: { PATH: process.env.PATH ?? '', ...env },
    gpus: [],
    resources: {} as StepContext['resources'],
  };
  return ctx;
}

test('runs a stand-in simpletuner: config via CONFIG_PATH, progress, checkpoints, resume, pipeline output', async () => {
  const root = mkdtempSync(join(tmpdir(), 'moe-st-run-'));
  const exe = join(root, 'simpletuner');
  writeFileSync(exe, STANDIN);
  chmodSync(exe, 0o755);
  const log = join(root, 'standin.jsonl');
  const spec: SimpleTunerSpec = {
    role: 'base',
    strength: 0.35,
    model: '/models/ssd-1b',
    dataDir: join(root, 'images'),
    outputDir: join(root, 'ckpt', 'st-output'),
    cacheDir: join(root, 'cache', 'text'),
    cacheDirVae: join(root, 'cache', 'vae'),
    configDir: join(root, 'ckpt', 'st-config'),
    learningRate: 2e-5,
    batchSize: 1,
    gradientAccumulation: 1,
    steps: 12,
    checkpointEvery: 4,
    seed: 0,
    command: [exe, 'train'],
  };

  const updates: ProgressUpdate[] = [];
  const warnings: string[] = [];
  const ctx1 = context(join(root, 'a1'), { STANDIN_LOG: log, STANDIN_DIE_AT: '6' }, updates, warnings);
  await assert.rejects(runSimpleTuner(ctx1, spec), /exited with code 1: CUDA out of memory/);
  assert.ok(warnings.some((w) => /batch_size 1/.test(w)));
  assert.deepEqual(
    updates.map((u) => u.done),
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal(updates[5]?.total, 12);
  assert.equal(updates[5]?.metrics?.lr, 2e-5);
  // A half-written checkpoint from the crash must not be resumed from.
  mkdirSync(join(spec.outputDir, 'checkpoint-6', 'unet'), { recursive: true });

  const more: ProgressUpdate[] = [];
  const ctx2 = context(join(root, 'a2'), { STANDIN_LOG: log }, more, []);
  const outcome = await runSimpleTuner(ctx2, spec);
  assert.equal(outcome.resumedFrom, 4);
  assert.deepEqual(
    outcome.checkpoints.map((c) => c.step),
    [4, 8, 12],
  );
  assert.equal(more[0]?.done, 5);
  assert.equal(outcome.last?.step, 12);
  assert.ok(existsSync(join(ctx2.outDir, 'pipeline', 'unet', 'config.json')));
  const metrics = readFileSync(join(ctx2.outDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(metrics.length, 8);

  const calls = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { argv: string[]; backend: string; config: string; start: number });
  assert.equal(calls.length, 2);
  assert.deepEqual(calls[0]?.argv, ['train']);
  assert.equal(calls[0]?.backend, 'json');
  assert.equal(calls[1]?.start, 4);
  const written = JSON.parse(readFileSync(calls[0]?.config ?? '', 'utf8')) as Record<string, unknown>;
  assert.equal(written.refiner_training_invert_schedule, true);
  assert.equal(written.output_dir, spec.outputDir);
  assert.match(readFileSync(join(root, 'a1', 'node.log'), 'utf8'), /loaded 8 images/);
});

test('a simpletuner that is not on PATH fails before anything starts, as a failure no retry mends', async () => {
  const root = mkdtempSync(join(tmpdir(), 'moe-st-missing-'));
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const spec: SimpleTunerSpec = {
    role: 'base',
    strength: 0.35,
    model: '/models/ssd-1b',
    dataDir: join(root, 'images'),
    outputDir: join(root, 'ckpt', 'st-output'),
    cacheDir: join(root, 'cache', 'text'),
    cacheDirVae: join(root, 'cache', 'vae'),
    configDir: join(root, 'ckpt', 'st-config'),
    learningRate: 2e-5,
    batchSize: 1,
    gradientAccumulation: 1,
    steps: 12,
    checkpointEvery: 4,
    seed: 0,
  };
  const ctx = context(join(root, 'a1'), { PATH: bin }, [], []);
  await assert.rejects(runSimpleTuner(ctx, spec), (e: Error & { retryable?: unknown }) => {
    assert.equal(e.retryable, false);
    assert.equal(
      e.message,
      `cannot start: simpletuner not found on PATH (${bin}): install SimpleTuner (pip install simpletuner) where moe runs, or set the node's simpletuner_command to the command that starts it`,
    );
    return true;
  });
  // A stand-in that is there but whose interpreter is gone: the shell's 127, also not retried.
  const broken = join(bin, 'simpletuner');
  writeFileSync(broken, '#!/no/such/python\n');
  chmodSync(broken, 0o755);
  await assert.rejects(runSimpleTuner(ctx, spec), (e: Error & { retryable?: unknown }) => {
    assert.equal(e.retryable, false);
    assert.match(e.message, /^SimpleTuner exited with code 127/);
    return true;
  });
});
