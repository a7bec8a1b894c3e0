// `moe plan` as a service: the plan against a workspace's records, without taking the lock (it writes
// nothing but the input stat cache).
import type { Pipeline } from '../pipeline/types.js';
import type { StepLookup } from '../contract/lookup.js';
import type { Result } from '../util/result.js';
import { ok } from '../util/result.js';
import type { EvaluationMemo, ResolveFn } from './evaluate.js';
import { InputDigester } from './input-digests.js';
import type { PlanEntry } from './plan.js';
import { planPipeline } from './plan.js';
import { recordSource } from './record-source.js';
import type { SelectionError } from './selection.js';
import { selectNodes } from './selection.js';
import { Store } from './store.js';
import type { Workspace } from './workspace.js';
import { pipelineKey } from './workspace.js';

export interface PlanServiceOptions {
  readonly pipeline: Pipeline;
  readonly steps: StepLookup;
  readonly resolve: ResolveFn;
  readonly workspace: Workspace;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly force?: readonly string[];
  readonly only?: readonly string[];
  readonly from?: readonly string[];
  /** Static evaluations kept from earlier runs of this unchanged pipeline (see `EvaluationMemo`). */
  readonly memo?: EvaluationMemo;
}

export async function planForCli(opts: PlanServiceOptions): Promise<Result<PlanEntry[], SelectionError>> {
  const selection = selectNodes(opts.pipeline, {
    force: opts.force ?? [],
    only: opts.only ?? [],
    from: opts.from ?? [],
  });
  if (!selection.ok) return selection;
  const store = new Store(opts.workspace);
  const index = store.readIndex(pipelineKey(opts.pipeline.file));
  const digester = new InputDigester(opts.workspace.statCache);
  const entries = await planPipeline(
    {
      pipeline: opts.pipeline,
      steps: opts.steps,
      resolve: opts.resolve,
      env: opts.env ?? process.env,
      digester,
      memo: opts.memo,
    },
    recordSource(store, index),
    selection.value,
  );
  try {
    digester.save();
  } catch {
    // Only a speed-up for the next run; a read-only workspace is fine for planning.
  }
  return ok(entries);
}
