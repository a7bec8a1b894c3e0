/**
 * onnxruntime sessions on a thread of their own. onnxruntime-node runs a session synchronously on the
 * thread that calls `run`, so two sessions run from moe's main thread take turns on one core; a session
 * opened through a SessionThread runs on its worker thread while the main thread runs another, and
 * computes exactly what the same session in the main thread computes (the same onnxruntime, the same
 * options). Tensors cross the thread boundary as copies: for small models run many times (the tiny
 * family), not for a 10 GB UNet. The worker lives inside moe's process: a killed moe leaves none behind.
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { OnnxSession, SessionOptions } from './session.js';
import type {
  PlainMetadata,
  PlainTensor,
  ThreadReply,
  ThreadRequest,
  ThreadStart,
} from './thread-protocol.js';

interface Pending {
  readonly resolve: (r: ThreadReply) => void;
  readonly reject: (e: Error) => void;
}
type Request = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A worker from thread-session-entry beside this module (.ts under tsx, which the thread registers itself). */
function startWorker(workerData: ThreadStart): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./thread-session-entry.js', import.meta.url), { workerData });
  }
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./thread-session-entry.ts', import.meta.url).href);
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(boot, { eval: true, workerData, execArgv: [] });
}

const toMetadata = (values: readonly PlainMetadata[]): ort.InferenceSession.ValueMetadata[] =>
  values.map((v) =>
    v.isTensor
      ? { name: v.name, isTensor: true, type: v.type as ort.Tensor.Type, shape: v.shape ?? [] }
      : { name: v.name, isTensor: false },
  );

export class SessionThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #failure: Error | undefined;

  /** Starts the thread; its sessions open with `options` (CPU, threads). Call close() when done. */
  constructor(readonly options: SessionOptions) {
    this.#worker = startWorker({ options });
    this.#worker.unref();
    this.#worker.on('message', (r: ThreadReply) => {
      const p = this.#pending.get(r.id);
      this.#pending.delete(r.id);
      if (this.#pending.size === 0) this.#worker.unref();
      p?.resolve(r);
    });
    const fail = (e: Error) => {
      this.#failure ??= e;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`the session thread stopped (exit code ${code})`)));
  }

  async #ask(request: Request): Promise<ThreadReply & { ok: true }> {
    if (this.#failure !== undefined) throw this.#failure;
    const id = this.#next++;
    const reply = await new Promise<ThreadReply>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id } as ThreadRequest);
    });
    if (!reply.ok) throw new Error(reply.message);
    return reply;
  }

  /** Opens a model file on the thread; the session's runs happen there. */
  async open(path: string): Promise<OnnxSession> {
    const reply = await this.#ask({ op: 'open', path });
    const opened = reply.opened;
    if (opened === undefined) throw new Error('the session thread answered an open without a session');
    let released = false;
    return {
      inputNames: opened.inputs.map((m) => m.name),
      outputNames: opened.outputs.map((m) => m.name),
      inputMetadata: toMetadata(opened.inputs),
      outputMetadata: toMetadata(opened.outputs),
      device: this.options.device ?? 'cpu',
      run: async (feeds, outputs) => {
        if (released) throw new Error('session used after release');
        const plain: Record<string, PlainTensor> = {};
        for (const [name, t] of Object.entries(feeds))
          plain[name] = { type: t.type, data: t.data, dims: t.dims };
        const r = await this.#ask({
          op: 'run',
          session: opened.session,
          feeds: plain,
          ...(outputs ? { outputs } : {}),
        });
        const fetched: Record<string, ort.Tensor> = {};
        for (const [name, t] of Object.entries(r.outputs ?? {})) {
          fetched[name] = new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims);
        }
        return fetched;
      },
      release: async () => {
        if (released) return;
        released = true;
        if (this.#failure === undefined) await this.#ask({ op: 'release', session: opened.session });
      },
    };
  }

  /** Ends the thread and the sessions still open on it. */
  async close(): Promise<void> {
    this.#failure ??= new Error('the session thread was closed');
    await this.#worker.terminate();
  }
}
