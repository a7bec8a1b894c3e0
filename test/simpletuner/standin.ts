// The stand-in `simpletuner` executable the SimpleTuner tests put on PATH.
// Like SimpleTuner: reads CONFIG_PATH (CONFIG_BACKEND=json), resumes from the highest complete checkpoint-N
// in output_dir when resume_from_checkpoint=latest, computes a text-embed and a VAE cache file per image
// (training and eval datasets) only when missing, prints the tqdm line on stderr, writes checkpoints
// (.guard last) and pipeline/. With report_to simpletuner it appends each step's tracker record to
// {output_dir}/training_metrics.jsonl as its LocalMetricsTracker does (sorted keys, compact JSON), with
// the validation loss `loss/val/<eval dataset id>` every eval_steps_interval steps after the resume step,
// on at most num_eval_images (default 4) eval images.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Stand-in script lines (in a loop over step `s`, with `fs`, `path`, `cfg` and `out`): SimpleTuner's
 * checkpoint-N folder every checkpoint_step_interval steps, its .guard written last.
 */
export const WRITE_CHECKPOINT_JS = `  if (s % cfg.checkpoint_step_interval === 0) {
    const c = path.join(out, 'checkpoint-' + s);
    fs.mkdirSync(path.join(c, 'unet'), { recursive: true });
    fs.writeFileSync(path.join(c, 'training_state.json'), JSON.stringify({ global_step: s }));
    fs.writeFileSync(path.join(c, '.guard'), '');
  }`;

export const STANDIN = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
// \`simpletuner train\` refuses to start without a config.json in its working directory.
if (!fs.existsSync('config.json')) { console.error('Error: No config file found in current directory'); process.exit(1); }
const cfg = JSON.parse(fs.readFileSync(process.env.CONFIG_PATH, 'utf8'));
const backends = JSON.parse(fs.readFileSync(cfg.data_backend_config, 'utf8'));
const images = backends.find((b) => b.dataset_type === undefined);
const text = backends.find((b) => b.dataset_type === 'text_embeds');
const evals = backends.filter((b) => b.dataset_type === 'eval');
const out = cfg.output_dir;
fs.mkdirSync(out, { recursive: true });
const done = fs.readdirSync(out).map((n) => /^checkpoint-(\\d+)$/.exec(n)).filter(Boolean)
  .filter((m) => fs.existsSync(path.join(out, m[0], '.guard'))).map((m) => Number(m[1]));
const start = cfg.resume_from_checkpoint === 'latest' && done.length ? Math.max(...done) : 0;
const startedAt = Date.now();
const cacheMs = Number(process.env.STANDIN_CACHE_MS || 0);
let computed = 0;
fs.mkdirSync(text.cache_dir, { recursive: true });
for (const set of [images, ...evals]) {
  fs.mkdirSync(set.cache_dir_vae, { recursive: true });
  for (const f of fs.readdirSync(set.instance_data_dir).filter((n) => n.endsWith('.png'))) {
    const caption = fs.readFileSync(path.join(set.instance_data_dir, f.replace(/\\.png$/, '.txt')), 'utf8');
    const t = path.join(text.cache_dir, crypto.createHash('md5').update(caption).digest('hex') + '-sdxl.pt');
    const v = path.join(set.cache_dir_vae, crypto.createHash('sha256').update(f.replace(/\\.png$/, '')).digest('hex') + '.pt');
    for (const p of [t, v]) if (!fs.existsSync(p)) {
      // Encoding takes a while, so two SimpleTuners started together would both find the file missing.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, cacheMs);
      fs.writeFileSync(p, 'cache'); computed++;
    }
  }
}
// LocalMetricsTracker: one compact JSON line per logged step, keys sorted (json.dumps sort_keys=True).
const sorted = (o) => (o && typeof o === 'object' && !Array.isArray(o))
  ? Object.fromEntries(Object.keys(o).sort().map((k) => [k, sorted(o[k])])) : o;
function track(step, metrics) {
  if (cfg.report_to !== 'simpletuner') return;
  fs.appendFileSync(path.join(out, 'training_metrics.jsonl'), JSON.stringify(sorted({ schema_version: 1,
    timestamp: new Date().toISOString(), step, metrics })) + '\\n');
}
// The eval loss: the mean over eval_timesteps of each image's loss; here a number that falls with the step.
function evalLosses(step) {
  const every = Number(cfg.eval_steps_interval || 0);
  if (!every || step <= start || step % every !== 0) return {};
  const losses = {};
  for (const e of evals) {
    const n = Math.min(cfg.num_eval_images ?? 4, fs.readdirSync(e.instance_data_dir).filter((f) => f.endsWith('.png')).length);
    if (n > 0) losses['loss/val/' + e.id] = 0.25 + 1 / (step + n);
  }
  return losses;
}
const cachedAt = Date.now();
fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify({ argv: process.argv.slice(2), pid: process.pid,
  backend: process.env.CONFIG_BACKEND, config: cfg, databackend: backends, start, computed,
  devices: process.env.CUDA_VISIBLE_DEVICES, job: process.env.SLURM_JOB_ID, startedAt, cachedAt }) + '\\n');
process.on('SIGTERM', () => process.exit(143));
// The stand-in survives its reader's death and then slows down, like a SimpleTuner in a long step, so
// the next moe always finds it still running.
let orphaned = false;
process.stderr.on('error', () => { orphaned = true; });
const total = cfg.max_train_steps;
const wait = Number(process.env.STANDIN_STEP_MS || 0);
let s = start;
function step() {
  if (s >= total) return finish();
  s++;
  track(s, { train_loss: 0.5 / s, optimization_loss: 0.5 / s, learning_rate: cfg.learning_rate, epoch: 1, ...evalLosses(s) });
  process.stderr.write('\\rEpoch 1/1, Steps:  ' + Math.floor(100 * s / total) + '%|##   | ' + s + '/' + total +
    ' [00:01<00:02, 3.1it/s, step_loss=' + (0.5 / s).toExponential(3) + ', lr=' + cfg.learning_rate + ']');
${WRITE_CHECKPOINT_JS}
  setTimeout(step, orphaned ? 5000 : wait);
}
function finish() {
  fs.appendFileSync(process.env.STANDIN_LOG + '.ends', JSON.stringify({ pid: process.pid, endedAt: Date.now() }) + '\\n');
  const unet = path.join(out, 'pipeline', 'unet');
  fs.mkdirSync(unet, { recursive: true });
  fs.writeFileSync(path.join(unet, 'config.json'), JSON.stringify({ _class_name: 'UNet2DConditionModel', steps: total, from: out }));
  fs.writeFileSync(path.join(unet, 'diffusion_pytorch_model.safetensors'), 'weights');
  if (cfg.validation_prompt) {
    // SimpleTuner saves its validation images in {output_dir}/validation_images.
    fs.mkdirSync(path.join(out, 'validation_images'), { recursive: true });
    fs.writeFileSync(path.join(out, 'validation_images', 'step_' + total + '_validation.png'), 'png');
  }
  process.stderr.write('\\nSaved pipeline\\n');
}
setTimeout(step, wait);
`;

/** What the cache-lock checks read of one stand-in invocation's line in STANDIN_LOG. */
export interface CacheTimes {
  readonly pid: number;
  readonly computed: number;
  readonly startedAt: number;
  readonly cachedAt: number;
}

/**
 * Two experts shared the caches: the one that computed something filled them, the other computed nothing
 * and started only once they were complete; then both trained side by side (the waiter started before the
 * filler ended, by STANDIN_LOG.ends).
 */
export function assertFilledOnceThenOverlapped(log: string, a: CacheTimes, b: CacheTimes): void {
  const [filler, waiter] = a.computed > 0 ? [a, b] : [b, a];
  assert.equal(waiter.computed, 0);
  assert.ok(waiter.startedAt >= filler.cachedAt, 'the second expert waited for the caches');
  const ends = readFileSync(`${log}.ends`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { pid: number; endedAt: number });
  const fillerEnd = ends.find((e) => e.pid === filler.pid)?.endedAt ?? 0;
  assert.ok(
    waiter.startedAt < fillerEnd,
    `the experts trained side by side: waiter started ${waiter.startedAt}, filler ended ${fillerEnd}`,
  );
}

/**
 * A fresh project folder for a SimpleTuner test: bin/simpletuner (the stand-in, executable; put `bin` on
 * PATH) and model/ with the model_index.json SimpleTuner's loader looks for.
 */
export function standInProject(prefix: string): { readonly dir: string; readonly bin: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'simpletuner'), STANDIN);
  chmodSync(join(bin, 'simpletuner'), 0o755);
  mkdirSync(join(dir, 'model', 'unet'), { recursive: true });
  writeFileSync(join(dir, 'model', 'model_index.json'), '{"_class_name": "StableDiffusionXLPipeline"}');
  return { dir, bin };
}
