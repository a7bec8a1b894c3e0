/**
 * Where an expert trains: on moe's own thread when no other expert trains there, on a worker thread
 * otherwise. onnxruntime-node runs a session on the calling thread, so two experts on one thread take
 * turns on one core; one on the main thread and one on a worker train at the same time. The main thread
 * is used first because it costs no memory of its own: it already holds a V8 heap and a malloc arena with
 * room left by the earlier nodes, where a worker starts both from nothing (about 60 MB more per expert at
 * tiny.yaml's size). Either place gives the same bytes.
 */
import type { Result } from '../../util/result.js';
import type { ExpertTrainingConfig } from './config.js';
import { trainExpert } from './train.js';
import type { TrainIO, TrainOutcome } from './train.js';
import { trainExpertInWorker } from './worker.js';

let mainThreadTaken = false;
/**
 * Settles once the main thread's expert has taken its first step. A worker starts only then, so that the
 * two experts' start-up peaks (building the training graph, creating the session) do not coincide.
 */
let mainThreadStarted: Promise<void> = Promise.resolve();

/** trainExpert on this thread when it is free, on a worker thread when another expert trains here. */
export async function trainExpertParallel(
  config: ExpertTrainingConfig,
  io: Omit<TrainIO, 'clock'>,
): Promise<Result<TrainOutcome, string>> {
  if (mainThreadTaken) {
    io.log.info("training on a worker thread: another expert trains on moe's main thread");
    await mainThreadStarted;
    return trainExpertInWorker(config, io);
  }
  mainThreadTaken = true;
  let started = (): void => undefined;
  mainThreadStarted = new Promise((resolve) => (started = resolve));
  try {
    return await trainExpert(config, {
      ...io,
      progress: (u) => {
        if (u.done !== undefined) started();
        io.progress(u);
      },
    });
  } finally {
    started();
    mainThreadTaken = false;
  }
}
