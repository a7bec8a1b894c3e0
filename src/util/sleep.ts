import { longTimeout } from './long-timeout.js';

/** Waits `ms`; true when the time passed, false as soon as `signal` aborts (or when it already has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = longTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      timer.clear();
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
