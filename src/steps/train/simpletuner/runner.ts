// Runs SimpleTuner for one expert: writes its configuration, launches `simpletuner train` (or a configured
// command) in its own process group, turns its tqdm line into moe progress and metrics, and maps
// `{output_dir}/pipeline/` to the node's output. A rerun resumes from that expert's latest complete
// checkpoint, because resume_from_checkpoint=latest only ever looks inside its own output_dir.
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonValue } from '../../../pipeline/types.js';
import type { StepContext } from '../../api.js';
import { dropIncompleteCheckpoints, latestCheckpoint, listCheckpoints } from './checkpoints.js';
import type { Checkpoint } from './checkpoints.js';
import { buildSimpleTunerFiles, CONFIG_FILE, DATABACKEND_FILE } from './config.js';
import type { SimpleTunerProgress } from './progress.js';
import { parseProgressLine, toProgressUpdate } from './progress.js';
import type { SimpleTunerSpec } from './spec.js';

export const DEFAULT_COMMAND: readonly string[] = ['simpletuner', 'train'];
const KILL_GRACE_MS = 10_000;

export interface SimpleTunerRunOptions {
  /** Where in ctx.outDir the final diffusers pipeline folder goes. Default `pipeline`. */
  readonly pipelineOut?: string;
  /** A metrics.jsonl (relative to ctx.outDir) with one line per distinct step seen. Default `metrics.jsonl`. */
  readonly metricsOut?: string;
}

export interface SimpleTunerOutcome {
  /** Absolute path of the copied diffusers pipeline folder in the node's output. */
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

  const dropped = dropIncompleteCheckpoints(spec.outputDir);
  if (dropped > 0) ctx.log.warn(`removed ${dropped} incomplete checkpoint folder(s) in ${spec.outputDir}`);
  const resume = latestCheckpoint(spec.outputDir);
  if (resume) ctx.log.info(`resuming the ${spec.role} expert from checkpoint-${resume.step}`);

  const command = spec.command ?? DEFAULT_COMMAND;
  const [file, ...args] = command;
  if (file === undefined) throw new Error('the SimpleTuner command is empty');
  const metricsPath = join(ctx.outDir, options.metricsOut ?? 'metrics.jsonl');
  let last: SimpleTunerProgress | undefined;
  await launch(ctx, file, args, { CONFIG_BACKEND: 'json', CONFIG_PATH: configPath }, (p) => {
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
  const pipelineDir = join(ctx.outDir, options.pipelineOut ?? 'pipeline');
  cpSync(produced, pipelineDir, { recursive: true });
  if (!existsSync(metricsPath)) writeFileSync(metricsPath, '');
  return {
    pipelineDir,
    checkpoints: listCheckpoints(spec.outputDir),
    resumedFrom: resume?.step,
    last,
    warnings: files.value.warnings,
  };
}

function launch(
  ctx: StepContext<JsonValue>,
  file: string,
  args: readonly string[],
  extraEnv: Readonly<Record<string, string>>,
  onProgress: (p: SimpleTunerProgress) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ctx.signal.aborted) return reject(new Error('aborted before SimpleTuner started'));
    const child = spawn(file, [...args], {
      cwd: ctx.tmpDir,
      env: { ...ctx.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
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
    child.stdout.on('data', out.push);
    child.stderr.on('data', errs.push);
    const onAbort = (): void => {
      kill(child.pid, 'SIGTERM');
      setTimeout(() => kill(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      ctx.signal.removeEventListener('abort', onAbort);
      reject(new Error(`could not start ${file}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      out.flush();
      errs.flush();
      ctx.signal.removeEventListener('abort', onAbort);
      if (code === 0) return resolve();
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      reject(new Error(`SimpleTuner ${how}${lastError ? `: ${lastError}` : ''}`));
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

function kill(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // The group is already gone.
  }
}
