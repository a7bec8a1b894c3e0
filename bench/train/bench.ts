// `npm run bench:train`, two parts (BENCH_PARTS=shared,tiny picks them; both by default):
//
// tiny: one expert of pipelines/tiny.yaml (with the UNet widths its model node sets) trained by moe's own
// loop (batch 16, 8×8 latents, one thread, BENCH_TINY_STEPS steps, default 200): where each optimizer
// step's time goes (onnxruntime's run, the optimizer, batch assembly, metrics, checkpoints), the graph's
// achieved GFLOP/s and onnxruntime's MatMul peak on one thread (bench/train/tiny.ts).
//
// shared: trains the shared tiny SDXL-family UNet at batch 16 on 16×16 latents with moe
// (generated training graph on onnxruntime-node + AdamW) and with the same architecture in plain PyTorch
// (bench/train/torch_unet.py, Debian's python3-torch, installed with apt-get when missing), on the same
// CPU with the same thread count and the same weights and batch. Prints samples/s and peak memory of
// both, checks that both start from the same loss, and ends with `ratio=<moe ÷ torch>` (target ≥ 3).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDiffusersUNet } from '../../src/models/unet/index.js';
import { ort } from '../../src/onnx/index.js';
import { withMseLoss } from '../../src/onnx/autodiff/index.js';
import { writeSafetensors } from '../../src/formats/safetensors.js';
import { createTrainer } from '../../src/train/optim/index.js';
import { referencePath } from '../../test/fixtures/reference-data.js';
import { describeTiny, matmulPeak, runTiny } from './tiny.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const REF = referencePath('unet-tiny-sdxl');
const BATCH = 16;
const SIZE = 16;
const SEQ = 77;
const steps = Number(process.env['BENCH_STEPS'] ?? 10);
const warmup = Number(process.env['BENCH_WARMUP'] ?? 2);
const threads = Number(process.env['BENCH_THREADS'] ?? availableParallelism());
const lr = 1e-4;
const PYTHON = '/usr/bin/python3';
const parts = new Set((process.env['BENCH_PARTS'] ?? 'tiny,shared').split(','));
const tinySteps = Number(process.env['BENCH_TINY_STEPS'] ?? 200);

function ensureTorch(): void {
  if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return;
  console.log('installing python3-torch with apt-get (for this benchmark only)…');
  const r = spawnSync(
    'sh',
    [
      '-c',
      'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch python3-numpy',
    ],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error('could not install python3-torch; install it and rerun');
}

/** A deterministic batch (normal draws from a small seeded generator). */
function makeBatch(): Record<string, { data: Float32Array; shape: number[] }> {
  let s = 12345;
  const uniform = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const normal = (n: number): Float32Array =>
    Float32Array.from(
      { length: n },
      () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
    );
  const timestep = Float32Array.from({ length: BATCH }, () => Math.floor(uniform() * 1000));
  const timeIds = new Float32Array(BATCH * 6);
  for (let i = 0; i < BATCH; i++) timeIds.set([128, 128, 0, 0, 128, 128], i * 6);
  return {
    sample: { data: normal(BATCH * 4 * SIZE * SIZE), shape: [BATCH, 4, SIZE, SIZE] },
    timestep: { data: timestep, shape: [BATCH] },
    encoder_hidden_states: { data: normal(BATCH * SEQ * 64), shape: [BATCH, SEQ, 64] },
    text_embeds: { data: normal(BATCH * 64), shape: [BATCH, 64] },
    time_ids: { data: timeIds, shape: [BATCH, 6] },
    target: { data: normal(BATCH * 4 * SIZE * SIZE), shape: [BATCH, 4, SIZE, SIZE] },
  };
}

async function runMoe(
  batch: ReturnType<typeof makeBatch>,
): Promise<{ samplesPerS: number; cpuPerStep: number; firstLoss: number; nodes: number }> {
  const loaded = await loadDiffusersUNet(REF, {
    batch: BATCH,
    height: SIZE,
    width: SIZE,
    sequenceLength: SEQ,
  });
  if (!loaded.ok) throw new Error(loaded.error.message);
  const model = loaded.value.model;
  const created = await createTrainer({
    model: { ...model, graph: withMseLoss(model.graph, { prediction: 'out_sample' }) },
    loss: 'loss',
    optimizer: { lr, weightDecay: 1e-2 },
    threads,
  });
  await loaded.value.close();
  if (!created.ok) throw new Error(created.error.message);
  const trainer = created.value;
  const feeds = Object.fromEntries(
    Object.entries(batch).map(([name, t]) => [name, new ort.Tensor('float32', t.data, t.shape)]),
  );
  let firstLoss = NaN;
  let start = 0n;
  let cpu = process.cpuUsage();
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) {
      start = process.hrtime.bigint();
      cpu = process.cpuUsage();
    }
    const r = await trainer.step(feeds);
    if (i === 0) firstLoss = r.loss;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await trainer.release();
  return {
    samplesPerS: (steps * BATCH) / seconds,
    cpuPerStep: (used.user + used.system) / 1e6 / steps,
    firstLoss,
    nodes: trainer.nodeCount,
  };
}

interface TorchResult {
  samples_per_s: number;
  cpu_s_per_step: number;
  peak_rss_mb: number;
  first_loss: number;
}

function runTorch(batchFile: string): TorchResult {
  const r = spawnSync(
    PYTHON,
    [
      join(root, 'bench', 'train', 'torch_unet.py'),
      '--config',
      join(REF, 'config.json'),
      '--weights',
      join(REF, 'diffusion_pytorch_model.safetensors'),
      '--batch',
      batchFile,
      '--steps',
      String(steps),
      '--warmup',
      String(warmup),
      '--threads',
      String(threads),
      '--lr',
      String(lr),
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        OMP_NUM_THREADS: String(threads),
        OPENBLAS_NUM_THREADS: String(threads),
        MKL_NUM_THREADS: String(threads),
      },
    },
  );
  if (r.status !== 0) throw new Error(`the PyTorch run failed: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as TorchResult;
}

function peakRssMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

const work = mkdtempSync(join(tmpdir(), 'moe-bench-train-'));
try {
  console.log(
    `machine: ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(2)} at the start`,
  );
  if (parts.has('tiny')) {
    const tiny = await runTiny(join(work, 'tiny'), tinySteps, 1);
    const peak = await matmulPeak(1);
    for (const line of describeTiny(tiny, peak)) console.log(line);
    console.log(`load average after the tiny part: ${loadavg()[0]?.toFixed(2)}`);
  }
  if (parts.has('shared')) await shared(work);
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function shared(work: string): Promise<void> {
  ensureTorch();
  const batch = makeBatch();
  const batchFile = join(work, 'batch.safetensors');
  await writeSafetensors(
    batchFile,
    Object.entries(batch).map(([name, t]) => ({ name, shape: t.shape, data: t.data })),
  );
  console.log(
    `shared config: tiny SDXL UNet, batch ${BATCH}, ${SIZE}×${SIZE} latents, ${steps} timed steps after ${warmup}, ${threads} threads`,
  );
  const moe = await runMoe(batch);
  const moePeak = peakRssMb();
  const torch = runTorch(batchFile);
  console.log(`moe training graph: ${moe.nodes} nodes`);
  console.log(`first loss: moe ${moe.firstLoss.toFixed(6)}, torch ${torch.first_loss.toFixed(6)}`);
  if (Math.abs(moe.firstLoss - torch.first_loss) > 1e-4 * Math.abs(torch.first_loss)) {
    console.log('warning: the two runs do not start from the same loss; the architectures differ');
  }
  // CPU time per step is what each run costs whatever else the machine is doing.
  console.log(`moe_cpu_s_per_step=${moe.cpuPerStep.toFixed(3)}`);
  console.log(`torch_cpu_s_per_step=${torch.cpu_s_per_step.toFixed(3)}`);
  console.log(`moe_peak_rss_mb=${moePeak.toFixed(0)}`);
  console.log(`torch_peak_rss_mb=${torch.peak_rss_mb.toFixed(0)}`);
  console.log(`moe_samples_per_s=${moe.samplesPerS.toFixed(2)}`);
  console.log(`torch_samples_per_s=${torch.samples_per_s.toFixed(2)}`);
  console.log(`matmul_peak_gflops_${threads}_threads=${(await matmulPeak(threads)).toFixed(1)}`);
  console.log(`ratio=${(moe.samplesPerS / torch.samples_per_s).toFixed(3)} (target >= 3)`);
  console.log(`load average at the end: ${loadavg()[0]?.toFixed(2)}`);
}
