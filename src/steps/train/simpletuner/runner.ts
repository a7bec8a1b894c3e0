// Runs SimpleTuner for one expert: writes its configuration, launches `simpletuner train` (or a configured
// command) in its own process group, turns its tqdm line into moe progress and metrics, and maps
// `{output_dir}/pipeline/` to the node's output. A rerun resumes from that expert's latest complete
// checkpoint, because resume_from_checkpoint=latest only ever looks inside its own output_dir.
import { spawnGuarded } from '../../command/watchdog.js';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '../../../pipeline/types.js';
import type { StepContext } from '../../../contract/step.js';
import { PermanentStepError } from '../../../contract/step.js';
import { findProgram } from '../../../util/find-program.js';
import { dropIncompleteCheckpoints, latestCheckpoint, listCheckpoints } from './checkpoints.js';
import type { Checkpoint } from './checkpoints.js';
import { buildSimpleTunerFiles, CONFIG_FILE, DATABACKEND_FILE, PROMPT_LIBRARY_FILE } from './config.js';
import type { SimpleTunerProgress } from './progress.js';
import { parseProgressLine, toProgressUpdate } from './progress.js';
import type { SimpleTunerSpec } from './spec.js';
import { signalGroup } from '../../../util/process-group.js';

export const DEFAULT_COMMAND: readonly string[] = ['simpletuner', 'train'];
const KILL_GRACE_MS = 10_000;
/** The running SimpleTuner's process group, beside its config, so a moe started after a kill -9 finds it. */
const PID_FILE = 'simpletuner.pid';

export interface SimpleTunerRunOptions {
  /** Where in ctx.outDir the final diffusers pipeline folder goes. Default `pipeline`. */
  readonly pipelineOut?: string;
  /**
   * Take only the trained UNet: `{output_dir}/pipeline/unet` is moved (not copied: an SDXL UNet is
   * gigabytes) to this folder in ctx.outDir, and the rest of the pipeline folder stays behind.
   */
  readonly unetOut?: string;
  /** A metrics.jsonl (relative to ctx.outDir) with one line per distinct step seen. Default `metrics.jsonl`. */
  readonly metricsOut?: string;
  /**
   * An absolute metrics file kept across attempts instead (beside the checkpoints): on resume it is cut
   * back to the checkpoint's step, so it ends as an uninterrupted run's would.
   */
  readonly metricsFile?: string;
  /**
   * Called once at SimpleTuner's first progress line: its caches are complete by then (it fills them in
   * init_data_backend, before the training loop starts).
   */
  readonly onTrainingStarted?: () => void;
  /** Arguments after the command (`num_processes=N …` for several GPUs). Default: none. */
  readonly extraArgs?: readonly string[];
}

export interface SimpleTunerOutcome {
  /** Absolute path of what was taken into the node's output: the pipeline folder, or the UNet with `unetOut`. */
  readonly pipelineDir: string;
  readonly checkpoints: readonly Checkpoint[];
  readonly resumedFrom: number | undefined;
  readonly last: SimpleTunerProgress | undefined;
  readonly warnings: readonly string[];
}

/** Trains one expert with SimpleTuner. Rejects with a user-facing message when it cannot or SimpleTuner fails. */
export async function runSimpleTuner(
  ctx: StepContext<JsonValue>,
  spec: SimpleTunerSpec,
  options: SimpleTunerRunOptions = {},
): Promise<SimpleTunerOutcome> {
  const files = buildSimpleTunerFiles(spec);
  if (!files.ok) throw new Error(files.error);
  for (const w of files.value.warnings) ctx.log.warn(w);
  for (const dir of [spec.configDir, spec.outputDir, spec.cacheDir, spec.cacheDirVae]) {
    mkdirSync(dir, { recursive: true });
  }
  const configPath = join(spec.configDir, CONFIG_FILE);
  writeFileSync(configPath, `${JSON.stringify(files.value.config, null, 2)}\n`);
  writeFileSync(
    join(spec.configDir, DATABACKEND_FILE),
    `${JSON.stringify(files.value.databackend, null, 2)}\n`,
  );
  if (files.value.promptLibrary !== undefined) {
    writeFileSync(
      join(spec.configDir, PROMPT_LIBRARY_FILE),
      `${JSON.stringify(files.value.promptLibrary, null, 2)}\n`,
    );
  }

  const dropped = dropIncompleteCheckpoints(spec.outputDir);
  if (dropped > 0) ctx.log.warn(`removed ${dropped} incomplete checkpoint folder(s) in ${spec.outputDir}`);
  const resume = latestCheckpoint(spec.outputDir);
  if (resume) ctx.log.info(`resuming the ${spec.role} expert from checkpoint-${resume.step}`);

  await stopLeftover(join(spec.configDir, PID_FILE), configPath, ctx);
  const command = spec.command ?? DEFAULT_COMMAND;
  const [file, ...args] = command;
  if (file === undefined) throw new Error('the SimpleTuner command is empty');
  checkProgram(file, ctx, spec.configDir);
  const metricsPath = options.metricsFile ?? join(ctx.outDir, options.metricsOut ?? 'metrics.jsonl');
  if (options.metricsFile !== undefined) cutMetrics(metricsPath, resume?.step ?? 0);
  let last: SimpleTunerProgress | undefined;
  const env = { CONFIG_BACKEND: 'json', CONFIG_PATH: configPath };
  // `simpletuner train` looks for config.json in its working directory (it errors without one there, whatever
  // CONFIG_PATH says), so it runs beside the config.
  let started = false;
  await launch(ctx, file, [...args, ...(options.extraArgs ?? [])], env, spec.configDir, (p) => {
    if (!started) {
      started = true;
      options.onTrainingStarted?.();
    }
    if (last?.step !== p.step) {
      appendFileSync(
        metricsPath,
        `${JSON.stringify({ step: p.step, loss: p.loss ?? null, lr: p.lr ?? null })}\n`,
      );
    }
    last = p;
    ctx.progress(toProgressUpdate(p));
  });

  const produced = join(spec.outputDir, 'pipeline');
  if (!existsSync(produced)) {
    throw new Error(`SimpleTuner finished but wrote no ${produced}/ (is max_train_steps reached?)`);
  }
  let pipelineDir: string;
  if (options.unetOut !== undefined) {
    const unet = join(produced, 'unet');
    if (!existsSync(join(unet, 'config.json'))) {
      throw new Error(
        `SimpleTuner finished but its pipeline folder has no trained UNet (${unet}/config.json)`,
      );
    }
    pipelineDir = join(ctx.outDir, options.unetOut);
    moveDir(unet, pipelineDir);
  } else {
    pipelineDir = join(ctx.outDir, options.pipelineOut ?? 'pipeline');
    cpSync(produced, pipelineDir, { recursive: true });
  }
  if (!existsSync(metricsPath)) writeFileSync(metricsPath, '');
  return {
    pipelineDir,
    checkpoints: listCheckpoints(spec.outputDir),
    resumedFrom: resume?.step,
    last,
    warnings: files.value.warnings,
  };
}

/** Found before SimpleTuner starts: a program that is not there fails every retry the same way. */
function checkProgram(file: string, ctx: StepContext<JsonValue>, cwd: string): void {
  const found = findProgram(file, ctx.env['PATH'], cwd);
  if (found.ok) return;
  throw new PermanentStepError(
    `cannot start: ${found.error}: install SimpleTuner (pip install simpletuner) where moe runs, or set the node's simpletuner_command to the command that starts it`,
  );
}

/** Keeps the metrics lines up to `step` (the checkpoint a resumed run starts from); none for a fresh start. */
function cutMetrics(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => {
      if (line.trim() === '') return false;
      try {
        const at = (JSON.parse(line) as { step?: unknown }).step;
        return typeof at === 'number' && at <= step;
      } catch {
        return false;
      }
    });
  writeFileSync(path, kept.map((l) => `${l}\n`).join(''));
}

/** A rename where it can (same file system), else a copy and delete. */
function moveDir(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(join(to, '..'), { recursive: true });
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    cpSync(from, to, { recursive: true });
    rmSync(from, { recursive: true, force: true });
  }
}

function launch(
  ctx: StepContext<JsonValue>,
  file: string,
  args: readonly string[],
  extraEnv: Readonly<Record<string, string>>,
  cwd: string,
  onProgress: (p: SimpleTunerProgress) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ctx.signal.aborted) return reject(new Error('aborted before SimpleTuner started'));
    // With a watchdog: SimpleTuner dies with moe however moe dies (see steps/command/watchdog.ts).
    const child = spawnGuarded(file, args, { cwd, env: { ...ctx.env, ...extraEnv } });
    const pidFile = join(cwd, PID_FILE);
    if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
    let lastError = '';
    const onLine = (line: string, stream: 'out' | 'err'): void => {
      const p = parseProgressLine(line);
      if (p) return onProgress(p);
      if (line.trim() === '') return;
      if (stream === 'err') lastError = line;
      if (ctx.logFile !== undefined) appendFileSync(ctx.logFile, `${line}\n`);
      else ctx.log.info(line);
    };
    const out = splitter((l) => onLine(l, 'out'));
    const errs = splitter((l) => onLine(l, 'err'));
    child.stdout?.on('data', out.push);
    child.stderr?.on('data', errs.push);
    const onAbort = (): void => {
      signalGroup(child.pid, 'SIGTERM');
      setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      ctx.signal.removeEventListener('abort', onAbort);
      reject(new Error(`could not start ${file}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      rmSync(pidFile, { force: true });
      out.flush();
      errs.flush();
      ctx.signal.removeEventListener('abort', onAbort);
      if (code === 0) return resolve();
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      const message = `SimpleTuner ${how}${lastError ? `: ${lastError}` : ''}`;
      // 127 and 126: a program it starts (its Python, accelerate) is missing or cannot be executed.
      reject(code === 127 || code === 126 ? new PermanentStepError(message) : new Error(message));
    });
  });
}

/** Splits a byte stream into lines at \n and at tqdm's \r redraws; flush() hands over the unterminated tail. */
function splitter(onLine: (line: string) => void): { push(chunk: Buffer): void; flush(): void } {
  let rest = '';
  return {
    push: (chunk) => {
      const parts = (rest + chunk.toString('utf8')).split(/\r\n|\r|\n/);
      rest = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    },
    flush: () => {
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/**
 * A SimpleTuner started for this same config by a moe that was killed (kill -9 leaves its process group
 * running) would train on beside the new one into the same output_dir: stop it first. It counts as ours
 * only when its environment names this config (Linux /proc); anything else is left alone.
 */
async function stopLeftover(pidFile: string, configPath: string, ctx: StepContext<JsonValue>): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !runsConfig(pid, configPath)) return;
  ctx.log.warn(`stopping SimpleTuner (pid ${pid}) left running by an earlier attempt before resuming`);
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + KILL_GRACE_MS;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  signalGroup(pid, 'SIGKILL');
  while (alive(pid) && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 100));
}

function runsConfig(pid: number, configPath: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`CONFIG_PATH=${configPath}`);
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return notZombie(pid);
  } catch {
    return false;
  }
}

/** A zombie still answers signal 0; it is gone for our purposes. */
function notZombie(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
