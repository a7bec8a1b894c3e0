// `moe exec-node SPEC`: runs one attempt of one node inside a Slurm job, through the local executor (the
// same code path as `moe run` without Slurm), and reports through the job files moe is watching.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StepLookup } from '../../../contract/lookup.js';
import type { Diagnostic } from '../../../pipeline/diagnostic.js';
import type { Result } from '../../../util/result.js';
import { LocalExecutor } from '../local.js';
import type { ExecOutcome, NodeJob } from '../executor.js';
import { nodeDirs } from '../executor.js';
import type { JsonValue } from '../../../pipeline/types.js';
import type { StepDefinition } from '../../../contract/step.js';
import type { NodeId } from '../../../util/brand.js';
import { jobFiles, writeAtomic } from './job-files.js';
import type { JobSpec } from './job-files.js';
import { parseDeviceList } from '../../gpus.js';

/** The step types of a pipeline file, as the composition root assembles them. */
export type StepsOfFile = (pipelineFile: string) => Promise<Result<StepLookup, Diagnostic[]>>;

/** Runs the node described by `specFile`; resolves to the process exit code (0 when the step succeeded). */
export async function execNode(specFile: string, stepsOf: StepsOfFile): Promise<number> {
  const files = jobFiles(dirname(specFile));
  const finish = (outcome: ExecOutcome): number => {
    writeAtomic(files.outcome, `${JSON.stringify(outcome)}\n`);
    return outcome.ok ? 0 : 1;
  };
  let spec: JobSpec;
  try {
    spec = JSON.parse(readFileSync(specFile, 'utf8')) as JobSpec;
  } catch (e) {
    return finish({
      ok: false,
      kind: 'internal',
      error: `cannot read job spec ${specFile}: ${(e as Error).message}`,
    });
  }
  const registry = await stepsOf(spec.pipelineFile);
  if (!registry.ok) {
    return finish({ ok: false, kind: 'error', error: registry.error.map((d) => d.message).join('; ') });
  }
  const step = registry.value.get(spec.step) as StepDefinition<JsonValue> | undefined;
  if (!step)
    return finish({ ok: false, kind: 'error', error: `unknown step type ${spec.step} on the compute node` });

  // Slurm, not moe, chose this job's GPUs: use the devices it granted (indices, or UUIDs counted by place).
  const granted = process.env.CUDA_VISIBLE_DEVICES ?? '';
  const gpus = parseDeviceList(granted);
  const env: Record<string, string> = { ...spec.env, CUDA_VISIBLE_DEVICES: granted };
  if (process.env.SLURM_JOB_ID !== undefined) env.SLURM_JOB_ID = process.env.SLURM_JOB_ID;
  for (const dir of [spec.outDir, spec.tmpDir, spec.checkpointDir, spec.sharedCacheDir])
    mkdirSync(dir, { recursive: true });

  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => controller.abort(new Error(`cancelled (${sig})`));
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const job: NodeJob = {
    node: spec.node as NodeId,
    step,
    with: spec.with,
    attempt: spec.attempt,
    ...nodeDirs(spec),
    env,
    gpus,
    resources: spec.resources,
    upstream: spec.upstream ?? {},
  };
  const outcome = await new LocalExecutor().execute(job, controller.signal, (event) => {
    appendFileSync(files.events, `${JSON.stringify(event)}\n`);
  });
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return finish(outcome);
}
