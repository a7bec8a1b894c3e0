// A session factory that keeps sessions open across calls within one phase of a step: prompt encoding
// calls the factory once per batch, and reloading a text encoder per batch would dominate the run. The
// step releases the pool at the end of each phase, so the text encoders are gone before the VAE loads
// and the VAE before a UNet does.
import type { ModelSession, SessionFactory } from '../models/optimum/index.js';

export interface SessionPool {
  /** Hand this to model code: `release()` on what it returns is deferred to `releaseAll`. */
  readonly factory: SessionFactory;
  releaseAll(): Promise<void>;
}

export function sessionPool(open: SessionFactory): SessionPool {
  const open_ = new Map<string, Promise<ModelSession>>();
  const factory: SessionFactory = async (path) => {
    let session = open_.get(path);
    if (session === undefined) {
      session = open(path);
      open_.set(path, session);
      session.catch(() => open_.delete(path));
    }
    const s = await session;
    return {
      inputMetadata: s.inputMetadata,
      outputMetadata: s.outputMetadata,
      run: (feeds, outputs) => s.run(feeds, outputs),
      release: async () => undefined,
    };
  };
  return {
    factory,
    async releaseAll() {
      const all = [...open_.values()];
      open_.clear();
      for (const p of all) {
        const s = await p.catch(() => undefined);
        if (s) await s.release();
      }
    },
  };
}
