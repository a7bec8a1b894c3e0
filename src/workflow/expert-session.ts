// What compose.inference and evaluate share to run the two experts: the node's session factory (its device
// and CPU share, or one a caller passes), a pool that keeps sessions open within one phase of the step,
// the conversion cache that turns a diffusers UNet into ONNX once (with its converted/reused counts), and
// the paths of the step's `with` block resolved against the pipeline.
import { join } from 'node:path';
import type { StepContext } from '../contract/step.js';
import type { ExpertRole } from '../diffusion/index.js';
import type { SessionFactory } from '../models/optimum/index.js';
import { resolveUserPath } from '../steps/dataset/paths.js';
import { DigestMemo } from './digest.js';
import { sessionPool } from './session-pool.js';
import type { SessionPool } from './session-pool.js';
import { deviceSessions, must } from './sessions.js';
import type { StepDevice } from './sessions.js';
import { prepareExpert, UnetRunner } from './unet.js';
import type { ConversionCache, ConversionCounts } from './unet.js';

export class ExpertSession {
  /** Opens a fresh session per call: for models used once (a CLIP scorer), outside the pool. */
  readonly open: SessionFactory;
  readonly pool: SessionPool;
  /** UNets this step converted to ONNX, and those it found converted by an earlier run. */
  readonly unets: ConversionCounts = { converted: 0, reused: 0 };
  readonly #conversions: ConversionCache;

  private constructor(
    private readonly ctx: StepContext<unknown>,
    device: StepDevice,
    sessions: SessionFactory | undefined,
  ) {
    this.open = sessions ?? must(deviceSessions(device, ctx.resources.cpu, ctx.gpus));
    this.pool = sessionPool(this.open);
    this.#conversions = {
      dir: ctx.sharedCacheDir,
      memo: new DigestMemo(join(ctx.sharedCacheDir, 'digests.json')),
      counts: this.unets,
    };
  }

  /**
   * Runs `work` with sessions on `device` (or from `sessions`, when a caller passes its own factory),
   * releasing every pooled session however it ends.
   */
  static async run<T>(
    ctx: StepContext<unknown>,
    device: StepDevice,
    sessions: SessionFactory | undefined,
    work: (session: ExpertSession) => Promise<T>,
  ): Promise<T> {
    const session = new ExpertSession(ctx, device, sessions);
    try {
      return await work(session);
    } finally {
      await session.pool.releaseAll();
    }
  }

  /** A path from `with`, resolved against the pipeline directory (a WorkflowError when it escapes it). */
  path(given: string, what: string): string {
    return must(resolveUserPath(this.ctx.pipelineDir, given, what));
  }

  /** The expert's UNet, converted once when it is a diffusers folder, opened through the pool. */
  async unet(role: ExpertRole, given: string): Promise<UnetRunner> {
    const path = this.path(given, role);
    const expert = must(await prepareExpert(path, join(this.ctx.tmpDir, role), this.#conversions));
    return UnetRunner.open(this.pool.factory, expert);
  }

  /** Lets every pooled session go: between phases, so that one model is loaded at a time. */
  release(): Promise<void> {
    return this.pool.releaseAll();
  }

  /** The conversion counts as both steps' summaries name them. */
  get unetSummary(): { unets_converted: number; unets_reused: number } {
    return { unets_converted: this.unets.converted, unets_reused: this.unets.reused };
  }
}
