// The scheduling loop: which node may start now. It knows nothing of steps or the store: it is handed the
// graph and two callbacks, `prepare` (is the node cached? what does it need?) and `execute` (run it with
// these resources). Nodes become ready when their upstream nodes are done; ready nodes start in pipeline
// order as soon as a job slot and their resources are free.
//
// Admission is its own rather than p-queue's (used for plain bounded queues elsewhere): p-queue admits by count, so a node
// waiting in it for a GPU holds a job slot a CPU-only node could use, and a task keeps its slot until its
// promise settles, so a node could not hand its slot on before its commit. Measured on two GPU nodes
// (0.4 s) and four CPU nodes (0.2 s), 2 slots, 1 GPU: p-queue 1.00 s, this scheduler 0.80 s.
import type { Resources } from '../pipeline/types.js';
import type { NodeId } from '../util/brand.js';
import type { Grant, ResourcePool } from './resources.js';

export type Prepared =
  | { readonly kind: 'cached' }
  | { readonly kind: 'run'; readonly resources: Resources }
  | { readonly kind: 'failed' };

export interface SchedulerHooks {
  /** Called once all of a node's upstream nodes are done. */
  prepare(node: NodeId): Promise<Prepared>;
  /**
   * Runs the node holding `grant`; resolves true when it committed its outputs. `stepDone` hands the
   * grant back early, once the step has finished and only the engine's own bookkeeping (the commit) is
   * left, so the next ready node starts without waiting for it.
   */
  execute(node: NodeId, grant: Grant, stepDone: () => void): Promise<boolean>;
}

export interface ScheduleOptions {
  /** The nodes to run, in topological order. */
  readonly order: readonly NodeId[];
  /** Upstream nodes; those outside `order` are taken as done. */
  readonly needs: (node: NodeId) => readonly NodeId[];
  readonly pool: ResourcePool;
  /** Keep starting nodes that do not depend on a failed one. */
  readonly keepGoing: boolean;
  readonly signal: AbortSignal;
  readonly hooks: SchedulerHooks;
}

export interface ScheduleResult {
  readonly done: ReadonlySet<NodeId>;
  readonly failed: ReadonlySet<NodeId>;
  /** Nodes never started, each with the reason. */
  readonly skipped: ReadonlyMap<NodeId, string>;
}

export function schedule(opts: ScheduleOptions): Promise<ScheduleResult> {
  return new Scheduling(opts).run();
}

/** One scheduling loop's state: what is done, failed, waiting for resources, or in a hook. */
class Scheduling {
  readonly #opts: ScheduleOptions;
  readonly #position: ReadonlyMap<NodeId, number>;
  /** Upstream nodes inside `order` not yet done, by node. */
  readonly #unmet = new Map<NodeId, number>();
  readonly #children = new Map<NodeId, NodeId[]>();
  readonly #done = new Set<NodeId>();
  readonly #failed = new Set<NodeId>();
  /** Prepared nodes waiting for a job slot and resources, in pipeline order. */
  readonly #waiting: { readonly id: NodeId; readonly resources: Resources }[] = [];
  /** Hooks in flight (`prepare` or `execute`). */
  #active = 0;
  #stopping = false;
  #finished = false;
  #resolve: (result: ScheduleResult) => void = () => undefined;
  readonly #onAbort = (): void => {
    this.#stopping = true;
    this.#pump();
  };

  constructor(opts: ScheduleOptions) {
    this.#opts = opts;
    this.#position = new Map(opts.order.map((id, i) => [id, i]));
    for (const id of opts.order) {
      const deps = opts.needs(id).filter((d) => this.#position.has(d));
      this.#unmet.set(id, deps.length);
      for (const d of deps) {
        const list = this.#children.get(d);
        if (list) list.push(id);
        else this.#children.set(d, [id]);
      }
    }
  }

  run(): Promise<ScheduleResult> {
    return new Promise<ScheduleResult>((resolve) => {
      this.#resolve = resolve;
      const { signal, order } = this.#opts;
      signal.addEventListener('abort', this.#onAbort);
      if (signal.aborted) this.#stopping = true;
      for (const id of order) if (this.#unmet.get(id) === 0) this.#ready(id);
      this.#pump();
    });
  }

  #finish(): void {
    if (this.#finished || this.#active > 0 || (!this.#stopping && this.#waiting.length > 0)) return;
    this.#finished = true;
    this.#opts.signal.removeEventListener('abort', this.#onAbort);
    const skipped = new Map<NodeId, string>();
    for (const id of this.#opts.order) {
      if (this.#done.has(id) || this.#failed.has(id)) continue;
      skipped.set(id, this.#skipReason(id));
    }
    this.#resolve({ done: this.#done, failed: this.#failed, skipped });
  }

  #skipReason(id: NodeId): string {
    const { needs, signal } = this.#opts;
    const queue = [...needs(id)];
    const seen = new Set<NodeId>();
    while (queue.length > 0) {
      const u = queue.shift() as NodeId;
      if (seen.has(u)) continue;
      seen.add(u);
      // After an abort, an upstream node that did not finish was stopped, not broken.
      if (this.#failed.has(u))
        return signal.aborted ? `upstream ${u} was interrupted` : `upstream ${u} failed`;
      queue.push(...needs(u));
    }
    if (signal.aborted) return 'run interrupted';
    return this.#failed.size > 0 ? `run stopped after ${[...this.#failed][0]} failed` : 'not started';
  }

  #complete(id: NodeId, success: boolean): void {
    if (success) {
      this.#done.add(id);
      for (const child of this.#children.get(id) ?? []) {
        const left = (this.#unmet.get(child) ?? 1) - 1;
        this.#unmet.set(child, left);
        if (left === 0) this.#ready(child);
      }
    } else {
      this.#failed.add(id);
      if (!this.#opts.keepGoing) this.#stopping = true;
    }
  }

  /** All upstream nodes are done: ask whether the node is cached, failed, or waits for resources. */
  #ready(id: NodeId): void {
    if (this.#stopping) return;
    this.#active += 1;
    this.#opts.hooks.prepare(id).then(
      (prepared) => {
        this.#active -= 1;
        if (prepared.kind === 'cached') this.#complete(id, true);
        else if (prepared.kind === 'failed') this.#complete(id, false);
        else this.#insertWaiting(id, prepared.resources);
        this.#pump();
      },
      () => {
        this.#active -= 1;
        this.#complete(id, false);
        this.#pump();
      },
    );
  }

  #insertWaiting(id: NodeId, resources: Resources): void {
    const p = this.#position.get(id) ?? 0;
    const waiting = this.#waiting;
    let i = waiting.length;
    while (i > 0 && (this.#position.get(waiting[i - 1]?.id as NodeId) ?? 0) > p) i -= 1;
    waiting.splice(i, 0, { id, resources });
  }

  /** Starts every waiting node that fits, in pipeline order; then ends the loop if nothing is left. */
  #pump(): void {
    const { pool } = this.#opts;
    if (!this.#stopping) {
      // With every job slot taken nothing can start: no need to try each waiting node's resources.
      for (let i = 0; i < this.#waiting.length && pool.running < pool.capacity.jobs;) {
        const entry = this.#waiting[i];
        if (!entry) break;
        const grant = pool.tryAcquire(entry.resources);
        if (!grant) {
          i += 1;
          continue;
        }
        this.#waiting.splice(i, 1);
        this.#start(entry.id, grant);
      }
    }
    this.#finish();
  }

  #start(id: NodeId, grant: Grant): void {
    const { pool, hooks } = this.#opts;
    this.#active += 1;
    let held = true;
    const giveBack = (): void => {
      if (!held) return;
      held = false;
      pool.release(grant);
    };
    const stepDone = (): void => {
      giveBack();
      this.#pump();
    };
    hooks.execute(id, grant, stepDone).then(
      (success) => this.#settle(id, giveBack, success),
      () => this.#settle(id, giveBack, false),
    );
  }

  #settle(id: NodeId, giveBack: () => void, success: boolean): void {
    giveBack();
    this.#active -= 1;
    this.#complete(id, success);
    this.#pump();
  }
}
