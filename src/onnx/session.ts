/**
 * onnxruntime-node sessions for moe: CPU by default with one intra-op thread per core, the CUDA
 * execution provider on request, names read from the session itself, and explicit release so a 14 GB
 * SDXL UNet does not linger while the next model loads.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { cudaProviderProblem, cudaUnavailableMessage } from './session-device.js';

export type Device = 'cpu' | 'cuda';

export interface SessionOptions {
  /** @default 'cpu' */
  readonly device?: Device;
  /** CUDA device ordinal. @default 0 */
  readonly deviceId?: number;
  /** Intra-op threads. @default the number of cores */
  readonly threads?: number;
  /** @default 'all' */
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface SessionError {
  readonly reason: 'cuda-unavailable' | 'load-failed';
  readonly message: string;
}

export type Feeds = Readonly<Record<string, ort.Tensor>>;
export type Fetches = Record<string, ort.Tensor>;

export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly device: Device;
  /** Runs the model; `outputs` restricts which outputs are computed (all by default). */
  run(feeds: Feeds, outputs?: readonly string[]): Promise<Fetches>;
  release(): Promise<void>;
}

/** True when this onnxruntime-node installation carries the CUDA provider's libraries. */
export function cudaInstalled(): boolean {
  return cudaProviderProblem() === undefined;
}

/** Opens a session on a model file path (external data is found beside it) or on model bytes. */
export async function openSession(
  model: string | Uint8Array,
  options: SessionOptions = {},
): Promise<Result<OnnxSession, SessionError>> {
  const device = options.device ?? 'cpu';
  const providers: ort.InferenceSession.ExecutionProviderConfig[] =
    device === 'cuda' ? [{ name: 'cuda', deviceId: options.deviceId ?? 0 }] : ['cpu'];
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: providers,
    intraOpNumThreads: options.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimization ?? 'all',
    // A failed CUDA start is reported through the Result below; keep onnxruntime's own log quiet then.
    logSeverityLevel: device === 'cuda' ? 4 : 3,
  };
  let session: ort.InferenceSession;
  try {
    session =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (device === 'cuda') {
      // Without the provider library, or without a GPU, driver, CUDA 12 or cuDNN 9, session creation fails.
      return err({ reason: 'cuda-unavailable', message: cudaUnavailableMessage(`onnxruntime: ${message}`) });
    }
    const where = typeof model === 'string' ? model : 'model bytes';
    return err({ reason: 'load-failed', message: `onnxruntime could not load ${where}: ${message}` });
  }
  return ok(wrap(session, device));
}

function wrap(session: ort.InferenceSession, device: Device): OnnxSession {
  let released = false;
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: session.inputMetadata,
    outputMetadata: session.outputMetadata,
    device,
    async run(feeds, outputs) {
      if (released) throw new Error('session used after release');
      return outputs ? session.run(feeds, outputs as string[]) : session.run(feeds);
    },
    async release() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

/** Opens a session, runs `fn` with it and releases it whatever happens. */
export async function withSession<T>(
  model: string | Uint8Array,
  options: SessionOptions,
  fn: (s: OnnxSession) => Promise<T>,
): Promise<Result<T, SessionError>> {
  const opened = await openSession(model, options);
  if (!opened.ok) return opened;
  try {
    return ok(await fn(opened.value));
  } finally {
    await opened.value.release();
  }
}

export { ort };
