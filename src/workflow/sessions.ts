// The session factory a diffusion step uses for its `device` setting.
import { cudaOrdinal, cudaProviderProblem, cudaUnavailableMessage } from '../onnx/session-device.js';
import { sessionFactory } from '../models/optimum/index.js';
import type { SessionFactory } from '../models/optimum/index.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export type StepDevice = 'cpu' | 'cuda';

/** CPU sessions with the node's CPU share as threads, or CUDA sessions when this install has the provider. */
export function deviceSessions(
  device: StepDevice,
  threads: number,
  gpus: readonly number[],
): Result<SessionFactory, string> {
  if (device === 'cuda') {
    const problem = cudaProviderProblem();
    if (problem !== undefined) return err(cudaUnavailableMessage(problem));
    const deviceId = cudaOrdinal(gpus[0], process.env.CUDA_VISIBLE_DEVICES);
    return ok(sessionFactory({ device: 'cuda', deviceId }));
  }
  return ok(sessionFactory({ device: 'cpu', threads: Math.max(1, Math.floor(threads)) }));
}

/** A user-facing failure of a diffusion step: the message is the whole story. */
export class WorkflowError extends Error {
  override readonly name = 'WorkflowError';
}

export function must<T>(r: Result<T, string>): T {
  if (!r.ok) throw new WorkflowError(r.error);
  return r.value;
}
