// train.expert with backend simpletuner, end to end through the engine (`moe run`): dataset.images feeds a
// base and a refiner trained by a stand-in `simpletuner` on PATH that records its configuration, prints
// SimpleTuner's progress lines, writes checkpoint-N folders, fills the caches and writes pipeline/unet.
// moe is killed with SIGKILL in the middle of training and run again: each expert resumes from its own
// latest checkpoint in its own output_dir, and the left-over SimpleTuner is stopped first.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { assertFilledOnceThenOverlapped, standInProject } from './standin.js';
import { referencePath } from '../fixtures/reference-data.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MOE = join(ROOT, 'bin', 'moe.js');

/** A train.expert node: what both experts share, their batch size, and `own` lines (at the `with:` indent). */
const expert = (role: string, batchSize: number, own: string): string => `  ${role}:
    step: train.expert
    with:
      role: ${role}
      model: model
      images: \${{ nodes.data.outputs.manifest }}
      strength: \${{ params.strength }}
      prediction_type: v_prediction
      zero_snr: true
      timestep_spacing: trailing
      learning_rate: 4.0e-7
      batch_size: ${batchSize}
      gradient_checkpointing: true
      steps: 12
      checkpoint_every: 3
      max_grad_norm: 1
      resolution: 64
${own}      backend: simpletuner
`;

const PIPELINE = `version: 1
name: st-e2e
params:
  strength: 0.35
nodes:
  data:
    step: dataset.images
    with: { path: photos, resolution: 64, buckets: false, eval_count: 1 }
${expert(
  'base',
  2,
  `      validation:
        { every: 6, prompts: [a red square], guidance_scale: 9.2, guidance_rescale: 0.7, loss_every: 4, max_items: 1 }
`,
)}${expert('refiner', 1, '      validation: { loss_every: 4 }\n      validation_using_datasets: true\n')}`;

interface Invocation {
  readonly argv: string[];
  readonly pid: number;
  readonly backend: string;
  readonly config: Record<string, unknown>;
  readonly databackend: Record<string, unknown>[];
  readonly start: number;
  readonly computed: number;
  readonly devices: string;
  readonly startedAt: number;
  readonly cachedAt: number;
}

const OPTIONS = new Set(
  readFileSync(referencePath('simpletuner', 'options.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[0]?.replace(/^--/, ''))
    .filter((n): n is string => n !== undefined && n !== ''),
);

async function project(): Promise<{ dir: string; env: NodeJS.ProcessEnv; log: string }> {
  const { dir, bin } = standInProject('moe-st-e2e-');
  writeFileSync(join(dir, 'model', 'unet', 'config.json'), '{}');
  mkdirSync(join(dir, 'photos'));
  const colours = ['red', 'green', 'blue', 'white', 'black'] as const;
  const rgb = {
    red: [220, 30, 30],
    green: [30, 200, 40],
    blue: [20, 40, 220],
    white: [250, 250, 250],
    black: [5, 5, 5],
  };
  for (const [i, c] of colours.entries()) {
    const [r, g, b] = rgb[c];
    await sharp({ create: { width: 80, height: 72, channels: 3, background: { r: r!, g: g!, b: b! } } })
      .png()
      .toFile(join(dir, 'photos', `${i}.png`));
    writeFileSync(join(dir, 'photos', `${i}.txt`), `a ${c} square`);
  }
  writeFileSync(join(dir, 'p.yaml'), PIPELINE);
  const log = join(dir, 'standin.jsonl');
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    STANDIN_LOG: log,
    NO_COLOR: '1',
  };
  return { dir, env, log };
}

const invocations = (log: string): Invocation[] =>
  existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Invocation)
    : [];

const roleOf = (i: Invocation): string =>
  i.config['refiner_training_invert_schedule'] === true ? 'base' : 'refiner';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The first run, with slow steps, killed (kill -9) once the base has a complete checkpoint; returns the
 * base's invocation after checking that moe's watchdog stopped it.
 */
async function killAfterBaseCheckpoint(
  file: string,
  env: NodeJS.ProcessEnv,
  log: string,
): Promise<Invocation> {
  const first = spawn(process.execPath, [MOE, 'run', file, '--jobs', '2'], {
    env: { ...env, STANDIN_STEP_MS: '600' },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => first.on('exit', r));
  const deadline = Date.now() + 60_000;
  let base: Invocation | undefined;
  for (;;) {
    base = invocations(log).find((i) => roleOf(i) === 'base');
    const out = base?.config['output_dir'];
    if (typeof out === 'string' && existsSync(join(out, 'checkpoint-3', '.guard'))) break;
    if (Date.now() > deadline)
      assert.fail(`no base checkpoint within a minute: ${readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  first.kill('SIGKILL');
  await exited;
  assert.ok(base);
  // The watchdog moe gives every process it starts stops SimpleTuner once moe is gone (issue 11): no second
  // training can ever write into the same output_dir beside the resumed one.
  const gone = Date.now() + 15_000;
  while (alive(base.pid) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!alive(base.pid), 'kill -9 of moe also stops the SimpleTuner it started');
  return base;
}

/** Both experts name the same absolute caches, computed once in all. */
function assertSharedCaches(all: readonly Invocation[], b1: Invocation): void {
  const caches = (i: Invocation): string[] =>
    i.databackend
      .flatMap((d) => [d['cache_dir'], d['cache_dir_vae']])
      .filter((x): x is string => typeof x === 'string');
  for (const i of all) assert.deepEqual(caches(i), caches(b1));
  assert.ok(caches(b1).every((p) => p.startsWith('/')));
  assert.equal(
    all.reduce((n, i) => n + i.computed, 0),
    10,
    '4 training images and 1 held-out × (text + VAE) computed once in all',
  );
}

/** The validation loss: SimpleTuner's local tracker, and an eval dataset of the held-out image. */
function assertEvalConfigs(all: readonly Invocation[], b1: Invocation): void {
  for (const i of all) {
    assert.equal(i.config['report_to'], 'simpletuner');
    assert.equal(i.config['eval_steps_interval'], 4);
    const held = i.databackend.filter((d) => d['dataset_type'] === 'eval');
    assert.equal(held.length, 1, JSON.stringify(i.databackend));
    const files = readdirSync(String(held[0]?.['instance_data_dir']));
    assert.deepEqual(files.filter((f) => f.endsWith('.png')).length, 1, 'the one held-out image');
  }
  assert.equal(b1.config['num_eval_images'], 1);
}

/** Every SimpleTuner config says what the pipeline asks, in SimpleTuner's own option names. */
function assertConfigs(all: readonly Invocation[], b1: Invocation): void {
  for (const i of all) {
    assert.equal(i.backend, 'json');
    // One GPU each: one process, said explicitly (an accelerate config file could say otherwise).
    assert.deepEqual(i.argv, [
      'train',
      'num_processes=1',
      'num_machines=1',
      'accelerate_extra_args=--num_processes=1 --num_machines=1',
    ]);
    for (const key of Object.keys(i.config)) assert.ok(OPTIONS.has(key), `unknown SimpleTuner option ${key}`);
    assert.equal(i.config['resume_from_checkpoint'], 'latest');
    assert.equal(i.config['refiner_training'], true);
    assert.equal(i.config['refiner_training_strength'], 0.35);
    assert.equal(i.config['prediction_type'], 'v_prediction');
    assert.equal(i.config['rescale_betas_zero_snr'], true);
    assert.equal(i.config['training_scheduler_timestep_spacing'], 'trailing');
    assert.equal(i.config['learning_rate'], 4e-7);
    assert.equal(i.config['gradient_checkpointing'], true);
    assert.equal(i.config['max_train_steps'], 12);
    assert.equal(i.config['max_grad_norm'], 1);
    assert.equal(i.config['grad_clip_method'], 'norm');
    assert.equal(i.config['mixed_precision'], 'bf16');
    assert.equal(i.config['validation_resolution'], 64);
    assert.equal(i.config['caption_dropout_probability'], 0);
  }
  assert.equal(b1.config['validation_prompt'], 'a red square');
  assert.equal(b1.config['validation_guidance'], 9.2);
  assert.equal(b1.config['validation_guidance_rescale'], 0.7);
  assert.equal(b1.config['validation_step_interval'], 6);
  assert.equal(b1.config['train_batch_size'], 2);
}

/** The outputs: unet from pipeline/unet, metrics from the progress lines, training.json. */
function assertOutputs(
  dir: string,
  bases: readonly Invocation[],
  refiners: readonly Invocation[],
  b1: Invocation,
): void {
  const outputs = nodeOutputs(dir);
  for (const role of ['base', 'refiner'] as const) {
    const out = outputs[role];
    assert.ok(out, `no committed output for ${role}`);
    const unet = JSON.parse(readFileSync(join(out, 'unet', 'config.json'), 'utf8')) as { from: string };
    const inv = role === 'base' ? b1 : refiners[0];
    assert.equal(unet.from, inv?.config['output_dir']);
    const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number; lr: number });
    // Each step once, in order; the lines of a resumed expert continue from its checkpoint (a line the
    // killed moe had not read yet before the checkpoint is lost: SimpleTuner does not print it again).
    const seen = steps.map((s) => s.step);
    const resumedAt = (role === 'base' ? bases : refiners).at(-1)?.start ?? 0;
    assert.deepEqual(
      seen,
      [...new Set(seen)].sort((a, b) => a - b),
      `${role} metrics: each step once`,
    );
    for (let k = resumedAt + 1; k <= 12; k++) assert.ok(seen.includes(k), `${role} metrics lack step ${k}`);
    assert.ok(seen.every((k) => k >= 1 && k <= 12));
    assert.ok(Math.abs((steps.at(-1)?.loss ?? 0) - 0.5 / 12) < 1e-4, JSON.stringify(steps));
    assert.equal(steps[0]?.lr, 4e-7);
    const training = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(training['backend'], 'simpletuner');
    assert.equal(training['role'], role);
    assert.deepEqual(training['timestep_range'], role === 'base' ? [350, 999] : [0, 349]);
    assert.equal(training['mixed_precision'], 'bf16');
    assert.equal(training['grad_clip_method'], 'norm');
    // SimpleTuner's validation images are the expert's `validation` output (none asked of the refiner).
    const shown = readdirSync(join(out, 'validation'));
    assert.deepEqual(shown, role === 'base' ? ['step_12_validation.png'] : []);
    assert.deepEqual((training['simpletuner'] as { validation_images: string[] }).validation_images, shown);
    // SimpleTuner's validation losses (from its training_metrics.jsonl): each eval step once, the resumed
    // run's values where it logged a step again; the last one is the node's metric.
    const losses = training['validation_losses'] as { step: number; dataset: string; loss: number }[];
    assert.deepEqual(
      losses.map((l) => [l.step, l.dataset]),
      [
        [4, 'held-out'],
        [8, 'held-out'],
        [12, 'held-out'],
      ],
    );
    assert.ok(Math.abs((losses.at(-1)?.loss ?? 0) - (0.25 + 1 / 13)) < 1e-9, JSON.stringify(losses));
    assert.equal(metricsOf(dir, role)['validation_loss'], losses.at(-1)?.loss);
  }
  const refinerTraining = JSON.parse(readFileSync(join(outputs.refiner!, 'training.json'), 'utf8')) as {
    simpletuner: { warnings: string[] };
  };
  assert.ok(refinerTraining.simpletuner.warnings.some((w) => /batch_size 1/.test(w)));
  assert.ok(refinerTraining.simpletuner.warnings.some((w) => /fixed strength of 0.2/.test(w)));
}

test('moe run trains both experts with SimpleTuner, resumes each in its own output_dir after kill -9', async () => {
  const { dir, env, log } = await project();
  const file = join(dir, 'p.yaml');

  const valid = spawnSync(process.execPath, [MOE, 'validate', file], { env, encoding: 'utf8' });
  assert.equal(valid.status, 0, valid.stdout + valid.stderr);

  const base = await killAfterBaseCheckpoint(file, env, log);

  // Second run: stops the left-over SimpleTuner, resumes, finishes.
  const second = spawnSync(process.execPath, [MOE, 'run', file, '--jobs', '2'], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(second.status, 0, second.stdout + second.stderr);
  assert.ok(!alive(base.pid), 'the left-over SimpleTuner was stopped');

  const all = invocations(log);
  const bases = all.filter((i) => roleOf(i) === 'base');
  const refiners = all.filter((i) => roleOf(i) === 'refiner');
  assert.ok(bases.length === 2, `base launched ${bases.length} times`);
  const [b1, b2] = bases as [Invocation, Invocation];
  assert.equal(b2.config['output_dir'], b1.config['output_dir'], 'the base resumes in its own output_dir');
  assert.ok(b2.start >= 3 && b2.start % 3 === 0, `the base resumed from checkpoint-${b2.start}`);
  for (const r of refiners) assert.notEqual(r.config['output_dir'], b1.config['output_dir']);

  assertSharedCaches(all, b1);
  assertEvalConfigs(all, b1);
  assertConfigs(all, b1);
  assertOutputs(dir, bases, refiners, b1);
  const logText = readLogs(dir);
  assert.match(logText, /resuming the base expert from checkpoint-\d+/);
  // The SimpleTuner the killed moe left was stopped before the rerun began (its watchdog, and the rerun's
  // start-up stopping the dead moe's jobs), so the runner never found one still running.
  assert.doesNotMatch(logText, /stopping SimpleTuner \(pid \d+\) left running/);
});

test('moe validate: backend simpletuner without images names the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-st-val-'));
  writeFileSync(
    join(dir, 'p.yaml'),
    'version: 1\nname: v\nnodes:\n  base:\n    step: train.expert\n    with: { role: base, model: m, backend: simpletuner, batch_size: 2 }\n',
  );
  mkdirSync(join(dir, 'm'));
  const r = spawnSync(process.execPath, [MOE, 'validate', join(dir, 'p.yaml')], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /`nodes\.base\.with` is missing `images`/);
  assert.doesNotMatch(r.stdout + r.stderr, /missing `cache`/);
  // One error for one mistake: not a second line about the schema's if/then.
  assert.match(r.stdout + r.stderr, /^1 error$/m);
});

/** The metrics in a node's committed record (the pipeline index holds a copy of each record). */
function metricsOf(dir: string, node: string): Record<string, number> {
  const ws = join(dir, '.moe');
  for (const name of readdirSync(join(ws, 'index'))) {
    const index = JSON.parse(readFileSync(join(ws, 'index', name), 'utf8')) as {
      nodes: Record<string, { metrics?: Record<string, number> }>;
    };
    const record = index.nodes[node];
    if (record !== undefined) return record.metrics ?? {};
  }
  return {};
}

/** node id → the committed output folder, from the pipeline index (it holds a copy of each record). */
function nodeOutputs(dir: string): Record<string, string> {
  const ws = join(dir, '.moe');
  const found: Record<string, string> = {};
  for (const name of readdirSync(join(ws, 'index'))) {
    const index = JSON.parse(readFileSync(join(ws, 'index', name), 'utf8')) as {
      nodes: Record<string, { outputs: { digest: string } }>;
    };
    for (const [id, r] of Object.entries(index.nodes)) found[id] = join(ws, 'store', r.outputs.digest);
  }
  return found;
}

function readLogs(dir: string): string {
  const runs = join(dir, '.moe', 'runs');
  const texts: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log')) texts.push(readFileSync(p, 'utf8'));
    }
  };
  walk(runs);
  return texts.join('\n');
}

test('two GPUs: the experts start together, the caches are filled once, then both train side by side; 2 GPUs → 2 processes', async () => {
  const { dir, env, log } = await project();
  // The base asks for two GPUs, the refiner for one: three device ids, all granted at once.
  writeFileSync(
    join(dir, 'p.yaml'),
    PIPELINE.replace(
      '      backend: simpletuner\n  refiner:',
      '      backend: simpletuner\n    resources: { gpu: 2 }\n  refiner:',
    ).replace(
      /validation_using_datasets: true\n {6}backend: simpletuner\n/,
      'validation_using_datasets: true\n      backend: simpletuner\n    resources: { gpu: 1 }\n',
    ),
  );
  const r = spawnSync(process.execPath, [MOE, 'run', join(dir, 'p.yaml'), '--jobs', '4'], {
    env: { ...env, CUDA_VISIBLE_DEVICES: '0,1,2', STANDIN_STEP_MS: '150', STANDIN_CACHE_MS: '150' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const all = invocations(log);
  assert.equal(all.length, 2, 'one SimpleTuner per expert');
  const base = all.find((i) => roleOf(i) === 'base');
  const refiner = all.find((i) => roleOf(i) === 'refiner');
  assert.ok(base && refiner);
  // The node's GPUs: two device ids and two processes for the base, one for the refiner.
  assert.equal(base.devices.split(',').length, 2);
  assert.equal(refiner.devices.split(',').length, 1);
  assert.ok(!base.devices.split(',').includes(refiner.devices), 'each expert its own GPUs');
  assert.deepEqual(base.argv, [
    'train',
    'num_processes=2',
    'num_machines=1',
    'accelerate_extra_args=--num_processes=2 --num_machines=1 --multi_gpu',
  ]);
  // One cache fill: 4 training images and 1 held-out × (text + VAE), by one of them; the other started once it was complete.
  assert.equal(base.computed + refiner.computed, 10, JSON.stringify(all.map((i) => i.computed)));
  assertFilledOnceThenOverlapped(log, base, refiner);
  const outputs = nodeOutputs(dir);
  const trainings = ['base', 'refiner'].map(
    (id) =>
      JSON.parse(readFileSync(join(outputs[id] ?? '', 'training.json'), 'utf8')) as {
        simpletuner: { filled_caches: boolean; processes: number };
      },
  );
  assert.deepEqual(trainings.map((t) => t.simpletuner.filled_caches).sort(), [false, true]);
  assert.deepEqual(
    trainings.map((t) => t.simpletuner.processes),
    [2, 1],
  );
  assert.match(readLogs(dir), /waiting for `(base|refiner)` to fill the shared SimpleTuner caches/);
});
