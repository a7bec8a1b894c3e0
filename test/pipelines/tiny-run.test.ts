// pipelines/tiny.yaml end to end through `node bin/moe.js run`, made small with --param overrides (the
// full-size run takes minutes; these tests check the plumbing and the guarantees, not the quality):
//   1. kill -9 during the base expert's training; the rerun skips finished nodes and the base resumes
//      from its last checkpoint (its log says from which step);
//   2. the report exists and renders in Chromium with every image loaded; a second run is fully cached;
//   3. retraining the base from scratch (--force base) ends with the weights the resumed run ended with.
// The tests share one workspace and run in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint, readAllTensors } from '../../src/formats/safetensors.js';
import { chromiumPath, probePage } from '../report/chromium.js';
import { ROOT, smallRunArgs, tempWorkspace } from './small-run.js';

const WS = tempWorkspace('moe-tiny-');

const SMALL = {
  images: 24,
  size: 32,
  train_steps: 24,
  base_train_steps: 24,
  batch_size: 4,
  checkpoint_every: 4,
  sample_steps: 4,
  eval_prompts: 2,
  eval_timesteps: 4,
};
/** compose's seeds in tiny.yaml. */
const SEEDS = 4;
const ARGS = smallRunArgs('tiny.yaml', WS, SMALL);

interface Run {
  readonly code: number | null;
  readonly out: string;
}

function moe(args: readonly string[], onSpawn?: (kill: () => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'moe.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    onSpawn?.(() => child.kill('SIGKILL'));
  });
}

interface JournalEvent {
  readonly type: string;
  readonly node?: string;
  readonly fingerprint?: string;
  readonly logFile?: string;
}

function journals(): string[] {
  const dir = join(WS, 'runs');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith('.jsonl'))
        .sort()
    : [];
}

function events(journal: string): JournalEvent[] {
  return readFileSync(join(WS, 'runs', journal), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as JournalEvent];
      } catch {
        return []; // the last line of a killed run may be cut short
      }
    });
}

/** The store folder holding a node's committed outputs (from the workspace index of the pipeline). */
function outputsOf(node: string): string {
  const dir = join(WS, 'index');
  const index = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as {
    nodes: Record<string, { outputs: { digest: string } }>;
  };
  const digest = index.nodes[node]?.outputs.digest;
  assert.ok(digest, `node ${node} has no committed outputs`);
  return join(WS, 'store', digest);
}

/** Checkpoints of the node whose training started under `fingerprint`, as step numbers. */
function checkpointSteps(fingerprint: string): number[] {
  const dir = join(WS, 'checkpoints', fingerprint);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => /^step-\d+$/.test(n) && existsSync(join(dir, n, 'state.json')))
    .map((n) => Number(n.slice(5)));
}

async function weights(unetDir: string): Promise<Map<string, Float32Array>> {
  const r = await openCheckpoint(unetDir);
  assert.ok(r.ok, `cannot open ${unetDir}`);
  try {
    return (await readAllTensors(r.value)) as Map<string, Float32Array>;
  } finally {
    await r.value.close();
  }
}

let resumedBase: Map<string, Float32Array> | undefined;

test('killed during the base expert training, a rerun skips finished nodes and resumes from a checkpoint', async () => {
  let killedAt: number[] = [];
  const first = await moe(ARGS, (kill) => {
    const poll = setInterval(() => {
      const [journal] = journals();
      if (journal === undefined) return;
      const start = events(journal).find((e) => e.type === 'node-start' && e.node === 'base');
      const steps = start?.fingerprint ? checkpointSteps(start.fingerprint) : [];
      if (steps.length > 0 && Math.max(...steps) < SMALL.train_steps) {
        killedAt = steps;
        clearInterval(poll);
        kill();
      }
    }, 20);
  });
  assert.equal(first.code, null, `the run was to be killed mid-training, but it ended:\n${first.out}`);
  assert.ok(killedAt.length > 0);

  const second = await moe(ARGS);
  assert.equal(second.code, 0, second.out);
  const journal = journals().at(-1)!;
  const started = events(journal).filter((e) => e.type === 'node-start');
  const ranNodes = new Set(started.map((e) => e.node));
  for (const done of ['synth', 'data', 'model', 'cache']) assert.ok(!ranNodes.has(done), `${done} ran again`);
  const baseLog = started.find((e) => e.node === 'base')?.logFile;
  assert.ok(baseLog && existsSync(baseLog), 'the base expert ran again and logged');
  const m = /resuming from the checkpoint at step (\d+) of (\d+)/.exec(readFileSync(baseLog, 'utf8'));
  assert.ok(m, `the base log does not say it resumed:\n${readFileSync(baseLog, 'utf8')}`);
  const k = Number(m[1]);
  assert.ok(k > 0 && k < SMALL.train_steps && k >= Math.max(...killedAt), `resumed from step ${k}`);
  const metrics = readFileSync(join(outputsOf('base'), 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n');
  assert.deepEqual(
    metrics.map((l) => (JSON.parse(l) as { step: number }).step),
    Array.from({ length: SMALL.train_steps }, (_, i) => i + 1),
    'metrics.jsonl has each step once',
  );
  resumedBase = await weights(join(outputsOf('base'), 'unet'));
});

test('the run ends with a report that renders, and a second run is fully cached', async (t) => {
  const report = join(outputsOf('report'), 'report.html');
  const html = readFileSync(report, 'utf8');
  for (const h of ['Training loss', 'Evaluation by timestep band', 'Samples', 'Configuration']) {
    assert.ok(html.includes(`>${h}</h2>`), `the report has no "${h}" section`);
  }
  const again = await moe([...ARGS, '--json']);
  assert.equal(again.code, 0, again.out);
  // --json streams one event per line and ends with the summary.
  const summary = again.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type?: string; counts?: Record<string, number> })
    .find((e) => e.type === 'summary');
  assert.deepEqual(summary?.counts, { cached: 9, ran: 0, failed: 0, skipped: 0 });
  if (chromiumPath() === undefined) {
    if (process.env['CI']) assert.fail('chromium is not installed; .ci/apt-packages lists it');
    t.skip('chromium is not installed');
    return;
  }
  const page = await probePage(report);
  assert.equal(
    page.images.length,
    2 * SMALL.eval_prompts * SEEDS,
    'a base-only and a composed image per prompt and seed',
  );
  for (const img of page.images) assert.ok(img.naturalWidth > 0, `image "${img.alt}" did not load`);
  assert.deepEqual(page.requests, []);
});

test('the resumed base expert matches one trained without interruption', async () => {
  assert.ok(resumedBase, 'the resume test ran first');
  const forced = await moe([...ARGS, '--force', 'base']);
  assert.equal(forced.code, 0, forced.out);
  const fresh = await weights(join(outputsOf('base'), 'unet'));
  assert.deepEqual([...fresh.keys()].sort(), [...resumedBase.keys()].sort());
  let worst = 0;
  for (const [name, a] of fresh) {
    const b = resumedBase.get(name)!;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1e-3, Math.abs(a[i]!)));
    }
  }
  assert.ok(worst < 1e-4, `largest relative weight difference ${worst}`);
});
