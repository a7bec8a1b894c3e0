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
  const { order, pool, hooks, signal } = opts;
  const position = new Map(order.map((id, i) => [id, i]));
  const unmet = new Map<NodeId, number>();
  const children = new Map<NodeId, NodeId[]>();
  for (const id of order) {
    const deps = opts.needs(id).filter((d) => position.has(d));
    unmet.set(id, deps.length);
    for (const d of deps) {
      const list = children.get(d);
      if (list) list.push(id);
      else children.set(d, [id]);
    }
  }

  const done = new Set<NodeId>();
  const failed = new Set<NodeId>();
  const waiting: { readonly id: NodeId; readonly resources: Resources }[] = [];
  let active = 0;
  let stopping = false;
  let finished = false;

  return new Promise<ScheduleResult>((resolve) => {
    const finish = (): void => {
      if (finished || active > 0 || (!stopping && waiting.length > 0)) return;
      finished = true;
      signal.removeEventListener('abort', onAbort);
      const skipped = new Map<NodeId, string>();
      for (const id of order) {
        if (done.has(id) || failed.has(id)) continue;
        skipped.set(id, skipReason(id));
      }
      resolve({ done, failed, skipped });
    };

    const skipReason = (id: NodeId): string => {
      const queue = [...opts.needs(id)];
      const seen = new Set<NodeId>();
      while (queue.length > 0) {
        const u = queue.shift() as NodeId;
        if (seen.has(u)) continue;
        seen.add(u);
        // After an abort, an upstream node that did not finish was stopped, not broken.
        if (failed.has(u)) return signal.aborted ? `upstream ${u} was interrupted` : `upstream ${u} failed`;
        queue.push(...opts.needs(u));
      }
      if (signal.aborted) return 'run interrupted';
      return failed.size > 0 ? `run stopped after ${[...failed][0]} failed` : 'not started';
    };

    const complete = (id: NodeId, success: boolean): void => {
      if (success) {
        done.add(id);
        for (const child of children.get(id) ?? []) {
          const left = (unmet.get(child) ?? 1) - 1;
          unmet.set(child, left);
          if (left === 0) ready(child);
        }
      } else {
        failed.add(id);
        if (!opts.keepGoing) stopping = true;
      }
    };

    const ready = (id: NodeId): void => {
      if (stopping) return;
      active += 1;
      hooks.prepare(id).then(
        (prepared) => {
          active -= 1;
          if (prepared.kind === 'cached') complete(id, true);
          else if (prepared.kind === 'failed') complete(id, false);
          else insertWaiting(id, prepared.resources);
          pump();
        },
        () => {
          active -= 1;
          complete(id, false);
          pump();
        },
      );
    };

    const insertWaiting = (id: NodeId, resources: Resources): void => {
      const p = position.get(id) ?? 0;
      let i = waiting.length;
      while (i > 0 && (position.get(waiting[i - 1]?.id as NodeId) ?? 0) > p) i -= 1;
      waiting.splice(i, 0, { id, resources });
    };

    const pump = (): void => {
      if (!stopping) {
        // With every job slot taken nothing can start: no need to try each waiting node's resources.
        for (let i = 0; i < waiting.length && pool.running < pool.capacity.jobs;) {
          const entry = waiting[i];
          if (!entry) break;
          const grant = pool.tryAcquire(entry.resources);
          if (!grant) {
            i += 1;
            continue;
          }
          waiting.splice(i, 1);
          active += 1;
          let held = true;
          const giveBack = (): void => {
            if (!held) return;
            held = false;
            pool.release(grant);
          };
          const stepDone = (): void => {
            giveBack();
            pump();
          };
          hooks.execute(entry.id, grant, stepDone).then(
            (success) => settle(entry.id, giveBack, success),
            () => settle(entry.id, giveBack, false),
          );
        }
      }
      finish();
    };

    const settle = (id: NodeId, giveBack: () => void, success: boolean): void => {
      giveBack();
      active -= 1;
      complete(id, success);
      pump();
    };

    const onAbort = (): void => {
      stopping = true;
      pump();
    };
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) stopping = true;

    for (const id of order) if (unmet.get(id) === 0) ready(id);
    pump();
  });
}
