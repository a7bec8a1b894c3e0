/**
 * trainExpert on a thread of its own. onnxruntime-node runs a session synchronously on the thread that
 * calls `run`, so two experts trained in one thread take turns on one core however many cores there are;
 * on worker threads they train at the same time. The numbers are the same as trainExpert's in this
 * thread (the same code, the same onnxruntime settings). A worker thread lives inside moe's process: a
 * killed moe leaves none behind.
 */
import { Worker } from 'node:worker_threads';
import type { Result } from '../../util/result.js';
import type { ExpertTrainingConfig } from './config.js';
import type { TrainIO, TrainOutcome } from './train.js';
import type { FromWorker, ToWorker, WorkerStart } from './worker-protocol.js';

/** How long an aborted worker may take to stop at a step boundary before it is terminated. */
const ABORT_GRACE_MS = 10_000;

/**
 * A small young generation: the trainer's per-step garbage is small, and V8's default lets a thread's
 * young generation grow to 48 MB (measured: 35 to 50 MB less peak RSS for tiny.yaml's two experts).
 */
const LIMITS = { maxYoungGenerationSizeMb: 4 };

/**
 * A worker running worker-entry beside this module. From dist/ that is worker-entry.js. From the sources
 * (tests, benchmarks: `node --import tsx`) it is worker-entry.ts, and the thread first registers tsx's
 * loader itself: on Node 20 tsx registers on the main thread only, so a worker would not load TypeScript.
 */
function startWorker(workerData: WorkerStart): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker-entry.js', import.meta.url), { workerData, resourceLimits: LIMITS });
  }
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./worker-entry.ts', import.meta.url).href);
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  // execArgv: [] keeps a newer Node's `--import tsx` from registering it a second time in the thread.
  return new Worker(boot, { eval: true, workerData, execArgv: [], resourceLimits: LIMITS });
}

/**
 * Trains like trainExpert, in a worker thread; `io.clock` is not available there (the profile uses wall
 * time). Resolves once the thread has ended. An abort of `io.signal` stops training at the next step and
 * rejects with the signal's reason.
 */
export function trainExpertInWorker(
  config: ExpertTrainingConfig,
  io: Omit<TrainIO, 'clock'>,
): Promise<Result<TrainOutcome, string>> {
  if (io.signal.aborted) return Promise.reject(abortReason(io.signal));
  const start: WorkerStart = { config, checkpointDir: io.checkpointDir, outDir: io.outDir };
  const worker = startWorker(start);
  let ended: FromWorker | undefined;
  let crashed: Error | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  const onAbort = (): void => {
    const message: ToWorker = { type: 'abort', reason: abortReason(io.signal).message };
    worker.postMessage(message);
    killTimer = setTimeout(() => void worker.terminate(), ABORT_GRACE_MS);
  };
  io.signal.addEventListener('abort', onAbort, { once: true });

  worker.on('message', (m: FromWorker) => {
    if (m.type === 'log') io.log[m.level](m.message);
    else if (m.type === 'progress') io.progress(m.update);
    else ended = m;
  });
  worker.on('error', (e) => (crashed = e));

  return new Promise((resolve, reject) => {
    worker.on('exit', (code) => {
      io.signal.removeEventListener('abort', onAbort);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (io.signal.aborted) reject(abortReason(io.signal));
      else if (ended?.type === 'done') resolve(ended.result);
      else if (ended?.type === 'threw') reject(rebuilt(ended.message, ended.stack));
      else if (crashed !== undefined) reject(crashed);
      else reject(new Error(`the training thread stopped (exit code ${code}) before it finished`));
    });
  });
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(typeof r === 'string' ? r : 'aborted');
}

/** An error thrown in the worker, with its own stack (for debugging; moe shows only the message). */
function rebuilt(message: string, stack: string | undefined): Error {
  const e = new Error(message);
  if (stack !== undefined) e.stack = stack;
  return e;
}
