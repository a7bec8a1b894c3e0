// The messages between trainExpertInWorker (worker.ts) and the training thread (worker-entry.ts).
// Everything here is plain data: it crosses the thread boundary by structured clone.
import type { ProgressUpdate } from '../../contract/step.js';
import type { Result } from '../../util/result.js';
import type { ExpertTrainingConfig } from './config.js';
import type { TrainOutcome } from './train.js';

/** The worker's `workerData`: what trainExpert needs besides the callbacks. */
export interface WorkerStart {
  readonly config: ExpertTrainingConfig;
  readonly checkpointDir: string;
  readonly outDir: string;
}

/** Host → worker. */
export interface ToWorker {
  readonly type: 'abort';
  readonly reason: string;
}

/** Worker → host. */
export type FromWorker =
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly message: string }
  | { readonly type: 'progress'; readonly update: ProgressUpdate }
  | { readonly type: 'done'; readonly result: Result<TrainOutcome, string> }
  /** trainExpert threw (a bug, or the abort the host asked for). */
  | { readonly type: 'threw'; readonly message: string; readonly stack?: string };
