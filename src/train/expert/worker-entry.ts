// The training thread started by trainExpertInWorker (worker.ts): runs trainExpert with the settings in
// workerData, passes its logs, progress and result to the host, and stops at the next step when the host
// asks it to abort. A thread of its own gives the expert's onnxruntime runs a core of their own:
// onnxruntime-node runs a session on the calling thread, so two experts in one thread take turns.
import { parentPort, workerData } from 'node:worker_threads';
import { trainExpert } from './train.js';
import type { FromWorker, ToWorker, WorkerStart } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker-entry is started by trainExpertInWorker, as a worker thread');
const start = workerData as WorkerStart;
const post = (m: FromWorker): void => port.postMessage(m);
const controller = new AbortController();
port.on('message', (m: ToWorker) => {
  if (m.type === 'abort') controller.abort(new Error(m.reason));
});

try {
  const result = await trainExpert(start.config, {
    checkpointDir: start.checkpointDir,
    outDir: start.outDir,
    signal: controller.signal,
    log: {
      info: (message) => post({ type: 'log', level: 'info', message }),
      warn: (message) => post({ type: 'log', level: 'warn', message }),
      error: (message) => post({ type: 'log', level: 'error', message }),
    },
    progress: (update) => post({ type: 'progress', update }),
  });
  post({ type: 'done', result });
} catch (e) {
  const error = e instanceof Error ? e : new Error(String(e));
  post({
    type: 'threw',
    message: error.message,
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
  });
} finally {
  // Nothing else keeps the thread alive: it ends once the messages above are sent.
  port.removeAllListeners('message');
  port.unref();
}
