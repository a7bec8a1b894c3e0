// The worker of a SessionThread (thread-session.ts): opens onnxruntime sessions on this thread and runs
// them when the host asks, so that their runs take a core of their own (onnxruntime-node runs a session
// synchronously on the thread that calls `run`).
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { openSession } from './session.js';
import type { OnnxSession } from './session.js';
import type {
  PlainMetadata,
  PlainTensor,
  ThreadReply,
  ThreadRequest,
  ThreadStart,
} from './thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('thread-session-entry is started by SessionThread, as a worker thread');
const start = workerData as ThreadStart;
const sessions = new Map<number, OnnxSession>();
let next = 0;

const plainMetadata = (values: readonly ort.InferenceSession.ValueMetadata[]): PlainMetadata[] =>
  values.map((v) =>
    v.isTensor
      ? { name: v.name, isTensor: true, type: v.type, shape: [...v.shape] }
      : { name: v.name, isTensor: false },
  );

function sessionOf(id: number): OnnxSession {
  const s = sessions.get(id);
  if (s === undefined) throw new Error(`no open session ${id} on this thread`);
  return s;
}

async function handle(m: ThreadRequest): Promise<ThreadReply> {
  if (m.op === 'open') {
    const opened = await openSession(m.path, start.options);
    if (!opened.ok) return { id: m.id, ok: false, message: opened.error.message };
    const session = next++;
    sessions.set(session, opened.value);
    const inputs = plainMetadata(opened.value.inputMetadata);
    return {
      id: m.id,
      ok: true,
      opened: { session, inputs, outputs: plainMetadata(opened.value.outputMetadata) },
    };
  }
  if (m.op === 'release') {
    const s = sessions.get(m.session);
    sessions.delete(m.session);
    await s?.release();
    return { id: m.id, ok: true };
  }
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(m.feeds)) {
    feeds[name] = new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims);
  }
  const fetched = await sessionOf(m.session).run(feeds, m.outputs);
  const outputs: Record<string, PlainTensor> = {};
  for (const [name, t] of Object.entries(fetched))
    outputs[name] = { type: t.type, data: t.data, dims: t.dims };
  return { id: m.id, ok: true, outputs };
}

port.on('message', (m: ThreadRequest) => {
  handle(m).then(
    (reply) => port.postMessage(reply),
    (e: unknown) =>
      port.postMessage({ id: m.id, ok: false, message: e instanceof Error ? e.message : String(e) }),
  );
});
