// Fault injection: kill -9 of `moe run` at random moments of a small real pipeline (synthetic shapes →
// dataset → tiny model → embedding cache → base and refiner experts → two-stage sampling, with command
// nodes between them that start background processes), then a rerun. Each trial checks that no process
// the killed moe started outlives it by more than the kill grace, that the rerun succeeds, that its
// outputs are byte-identical to those of an uninterrupted run, and that nothing it started outlives it
// either. Processes are told apart by a marker in their environment (MOE_FAULT_MARK), so processes of
// other runs on the machine never count.
//   node --import tsx scripts/fault-inject.ts [--trials 20] [--seed N]   (build first: npm run build)
// `test/cli/fault-inject.test.ts` runs three trials in `npm test`.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../src/diffusion/random.js';
import { markedAfter } from '../test/cli/processes.js';

const ROOT = new URL('..', import.meta.url).pathname;
const MOE = join(ROOT, 'bin', 'moe.js');
const GRACE_MS = 1000;

const PIPELINE = `version: 1
name: fault-inject
params:
  strength: 0.35
  size: 32
  seed: 0
defaults:
  train.expert:
    with:
      model: \${{ nodes.model.outputs.model }}
      cache: \${{ nodes.cache.outputs.cache }}
      strength: \${{ params.strength }}
      prediction_type: v_prediction
      zero_snr: true
      timestep_spacing: trailing
      learning_rate: 0.002
      lr_warmup_steps: 1
      batch_size: 4
      steps: 6
      checkpoint_every: 2
      seed: \${{ params.seed }}
nodes:
  synth:
    step: dataset.synthetic
    with:
      count: 30
      size: \${{ params.size }}
      seed: \${{ params.seed }}
      eval_prompts: 2
      eval_fraction: 0.2
      colours: [red, green, blue]
      shapes: [circle, square]
  data:
    step: dataset.images
    with: { path: '\${{ nodes.synth.outputs.images }}', resolution: '\${{ params.size }}', buckets: false, eval_count: 3 }
  census:
    step: command
    with:
      run: |
        sleep 30 &
        n=0; for f in \${{ nodes.data.outputs.manifest }}; do n=$((n + $(wc -l < "$f"))); sleep 0.3; done
        echo "$n items" > "$MOE_OUT/census.txt"
      outputs: { census: census.txt }
  model:
    step: models.tiny
    with: { seed: '\${{ params.seed }}' }
  cache:
    step: embeds.cache
    with:
      model: \${{ nodes.model.outputs.model }}
      manifest: \${{ nodes.data.outputs.manifest }}
      prompts: \${{ nodes.synth.outputs.prompts }}
  base:
    step: train.expert
    with: { role: base }
  refiner:
    step: train.expert
    with: { role: refiner }
  compose:
    step: compose.inference
    with:
      model: \${{ nodes.model.outputs.model }}
      base: \${{ nodes.base.outputs.unet }}
      refiner: \${{ nodes.refiner.outputs.unet }}
      split: \${{ 1 - params.strength }}
      steps: 2
      prediction_type: v_prediction
      zero_snr: true
      timestep_spacing: trailing
      prompts_file: \${{ nodes.synth.outputs.prompts }}
      seeds: [0]
      width: \${{ params.size }}
      height: \${{ params.size }}
  bundle:
    step: command
    with:
      run: |
        i=0; while [ $i -lt 4 ]; do echo "$i" >> "$MOE_CHECKPOINT_DIR/ticks"; i=$((i + 1)); sleep 0.2; done
        (cd \${{ nodes.compose.outputs.images }} && ls | sort | xargs cat) | cksum > "$MOE_OUT/images.cksum"
        cat \${{ nodes.census.outputs.census }} >> "$MOE_OUT/images.cksum"
      outputs: { sum: images.cksum }
`;

export interface TrialResult {
  readonly trial: number;
  readonly killedAfterMs: number;
  /** Problems found; empty when the trial passed. */
  readonly problems: readonly string[];
}

export interface FaultInjectOptions {
  readonly trials: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

/** Runs the clean run and the trials; returns each trial's problems. */
export async function faultInject(opts: FaultInjectOptions): Promise<TrialResult[]> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'moe-fault-'));
  try {
    writeFileSync(join(dir, 'p.yaml'), PIPELINE);
    mkdirSync(join(dir, 'plugins'));
    symlinkSync(join(ROOT, 'plugins', 'synthetic-shapes'), join(dir, 'plugins', 'synthetic-shapes'));
    const t0 = Date.now();
    const clean = await runMoe(dir, 'clean', newMark());
    if (clean.code !== 0) throw new Error(`the uninterrupted run failed: ${clean.stderr}`);
    const cleanMs = Date.now() - t0;
    const expected = outputDigests(join(dir, 'clean'));
    log(`uninterrupted run: ${(cleanMs / 1000).toFixed(1)} s, ${Object.keys(expected).length} nodes`);
    const random = seededRandom(opts.seed); // a failing trial replays with its seed
    const results: TrialResult[] = [];
    for (let trial = 1; trial <= opts.trials; trial++) {
      const killedAfterMs = Math.round(100 + random() * cleanMs * 0.95);
      const problems = await oneTrial(dir, `trial-${trial}`, killedAfterMs, expected);
      results.push({ trial, killedAfterMs, problems });
      log(
        `trial ${trial}: kill -9 after ${killedAfterMs} ms: ${problems.length === 0 ? 'ok' : problems.join('; ')}`,
      );
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function oneTrial(
  dir: string,
  ws: string,
  killAfterMs: number,
  expected: Record<string, string>,
): Promise<string[]> {
  const problems: string[] = [];
  const mark = newMark();
  const killed = startMoe(dir, ws, mark);
  await new Promise((r) => setTimeout(r, killAfterMs));
  killed.child.kill('SIGKILL');
  await killed.done;
  const left = await markedAfter({ MOE_FAULT_MARK: mark }, GRACE_MS + 2000);
  if (left.length > 0) problems.push(`still running after kill -9: ${left.join(', ')}`);

  const rerunMark = newMark();
  const rerun = await runMoe(dir, ws, rerunMark);
  if (rerun.code !== 0) problems.push(`the rerun failed (exit ${rerun.code}): ${rerun.stderr.trim()}`);
  else {
    const got = outputDigests(join(dir, ws));
    for (const [node, digest] of Object.entries(expected)) {
      if (got[node] !== digest) problems.push(`${node}: outputs differ from the uninterrupted run`);
    }
  }
  const after = await markedAfter({ MOE_FAULT_MARK: rerunMark }, 3000);
  if (after.length > 0) problems.push(`still running after the rerun ended: ${after.join(', ')}`);
  rmSync(join(dir, ws), { recursive: true, force: true });
  return problems;
}

function newMark(): string {
  return randomUUID();
}

function startMoe(dir: string, ws: string, mark: string) {
  const child = spawn(process.execPath, [MOE, 'run', 'p.yaml', '--workspace', ws], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', MOE_FAULT_MARK: mark, MOE_KILL_GRACE_MS: String(GRACE_MS) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((r) =>
    child.on('close', (code) => r({ code, stderr })),
  );
  return { child, done };
}

function runMoe(dir: string, ws: string, mark: string): Promise<{ code: number | null; stderr: string }> {
  return startMoe(dir, ws, mark).done;
}

/** Node → output digest, from the workspace's pipeline index. */
function outputDigests(ws: string): Record<string, string> {
  const index = join(ws, 'index');
  const file = readdirSync(index).find((n) => n.endsWith('.json'));
  if (!file) return {};
  const nodes = (
    JSON.parse(readFileSync(join(index, file), 'utf8')) as {
      nodes: Record<string, { outputs: { digest: string } }>;
    }
  ).nodes;
  return Object.fromEntries(Object.entries(nodes).map(([k, v]) => [k, v.outputs.digest]));
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const seed = arg('--seed', Date.now() % 100000);
  const trials = arg('--trials', 20);
  console.log(
    `fault injection: ${trials} trials, seed ${seed}, load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
  const results = await faultInject({ trials, seed, log: (l) => console.log(l) });
  const failed = results.filter((r) => r.problems.length > 0);
  console.log(`${results.length - failed.length}/${results.length} trials passed`);
  process.exit(failed.length > 0 ? 1 : 0);
}
