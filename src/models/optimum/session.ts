import type { InferenceSession } from 'onnxruntime-node';
import { openSession } from '../../onnx/index.js';
import type { SessionOptions } from '../../onnx/index.js';

/** What moe needs of an ONNX session's description of one input or output. */
export interface TensorMetadata {
  readonly name: string;
  /** onnxruntime's type name: float32, float16, int64, int32, … (absent for non-tensor values). */
  readonly type?: string;
  /** Numbers for fixed dimensions, strings for symbolic ones (`batch_size`); empty when unknown. */
  readonly shape: readonly (number | string)[];
}

/**
 * The slice of onnxruntime's InferenceSession that model code uses, so tests and other runtimes can stand
 * in for it. onnxruntime-node 1.30 sessions satisfy it directly.
 */
export interface ModelSession {
  readonly inputMetadata: readonly InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
  /** Runs the model; `outputs` limits what is fetched (SDXL's encoders have 14 and 34 outputs). */
  run(feeds: InferenceSession.FeedsType, outputs?: readonly string[]): Promise<InferenceSession.ReturnType>;
  release(): Promise<void>;
}

/** Opens a model file. Passed in (never a global) so callers choose threads and execution providers. */
export type SessionFactory = (modelPath: string) => Promise<ModelSession>;

/**
 * A factory over moe's onnxruntime sessions (src/onnx): CPU with one intra-op thread per core by default,
 * CUDA when asked for. A model that does not load throws; the folder inspection reports it per file.
 */
export function sessionFactory(options: SessionOptions = {}): SessionFactory {
  return async (modelPath) => {
    const opened = await openSession(modelPath, options);
    if (!opened.ok) throw new Error(opened.error.message);
    return opened.value;
  };
}

/** onnxruntime-node on the CPU with one intra-op thread per core: the default outside tests. */
export const cpuSessionFactory: SessionFactory = sessionFactory();

export function metadataOf(values: readonly InferenceSession.ValueMetadata[]): TensorMetadata[] {
  return values.map((v) =>
    v.isTensor ? { name: v.name, type: v.type, shape: [...v.shape] } : { name: v.name, shape: [] },
  );
}

/** Runs `fn` with a session that is released afterwards, even on failure: SDXL is loaded one model at a time. */
export async function withSession<T>(
  factory: SessionFactory,
  modelPath: string,
  fn: (session: ModelSession) => Promise<T>,
): Promise<T> {
  const session = await factory(modelPath);
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}
