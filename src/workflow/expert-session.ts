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
import type { ConversionCache, ConversionCounts, ExpertUnet } from './unet.js';
import { SessionThread } from '../onnx/thread-session.js';

export class ExpertSession {
  /** Opens a fresh session per call: for models used once (a CLIP scorer), outside the pool. */
  readonly open: SessionFactory;
  readonly pool: SessionPool;
  /** UNets this step converted to ONNX, and those it found converted by an earlier run. */
  readonly unets: ConversionCounts = { converted: 0, reused: 0 };
  /** Lanes: sessions that run at the same time as the main thread's, each on a thread of its own. */
  readonly lanes: number;
  readonly #conversions: ConversionCache;
  readonly #threadsPerLane: number;
  readonly #threads: SessionThread[] = [];

  private constructor(
    private readonly ctx: StepContext<unknown>,
    device: StepDevice,
    sessions: SessionFactory | undefined,
    lanes: number,
  ) {
    this.lanes = sessionLanes(device, ctx.resources.cpu, sessions, lanes);
    this.#threadsPerLane = Math.max(1, Math.floor(ctx.resources.cpu / this.lanes));
    this.open = sessions ?? must(deviceSessions(device, this.#threadsPerLane, ctx.gpus));
    this.pool = sessionPool(this.open);
    this.#conversions = {
      dir: ctx.sharedCacheDir,
      memo: new DigestMemo(join(ctx.sharedCacheDir, 'digests.json')),
      counts: this.unets,
    };
  }

  /**
   * Runs `work` with sessions on `device` (or from `sessions`, when a caller passes its own factory),
   * releasing every pooled session however it ends. `lanes` asks for that many sets of sessions that run
   * at the same time (see sessionLanes; `session.lanes` says how many there are): the node's CPU share is
   * split between them.
   */
  static async run<T>(
    ctx: StepContext<unknown>,
    device: StepDevice,
    sessions: SessionFactory | undefined,
    work: (session: ExpertSession) => Promise<T>,
    lanes = 1,
  ): Promise<T> {
    const session = new ExpertSession(ctx, device, sessions, lanes);
    try {
      return await work(session);
    } finally {
      await session.pool.releaseAll();
      await Promise.all(session.#threads.map((t) => t.close()));
    }
  }

  /**
   * The sessions of lane `k` (0 < k < lanes): a pool on a thread of its own with this step's CPU options,
   * ended with the step. Lane 0 is `pool`, on moe's main thread.
   */
  lane(): SessionPool {
    const thread = new SessionThread({ device: 'cpu', threads: this.#threadsPerLane });
    this.#threads.push(thread);
    return sessionPool((path) => thread.open(path));
  }

  /** A path from `with`, resolved against the pipeline directory (a WorkflowError when it escapes it). */
  path(given: string, what: string): string {
    return must(resolveUserPath(this.ctx.pipelineDir, given, what));
  }

  /** The expert's UNet, converted once when it is a diffusers folder, opened through the pool. */
  async unet(role: ExpertRole, given: string): Promise<UnetRunner> {
    return UnetRunner.open(this.pool.factory, await this.expert(role, given));
  }

  /** The expert's ONNX UNet, converted once when it is a diffusers folder (for UnetRunner.open). */
  async expert(role: ExpertRole, given: string): Promise<ExpertUnet> {
    const path = this.path(given, role);
    return must(await prepareExpert(path, join(this.ctx.tmpDir, role), this.#conversions));
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

/**
 * How many lanes a step gets: up to `wanted`, one per whole core of its CPU share, on the CPU only (a GPU
 * runs one model at a time) and never with a caller's own session factory (tests count its sessions). Each
 * lane's sessions get the share divided by the lanes, so a share of 2 gives two one-thread lanes, whose
 * runs compute what one one-thread session computes.
 */
export function sessionLanes(
  device: StepDevice,
  cpu: number,
  sessions: SessionFactory | undefined,
  wanted: number,
): number {
  if (device !== 'cpu' || sessions !== undefined) return 1;
  return Math.max(1, Math.min(Math.floor(wanted), Math.floor(cpu)));
}
