// Running a `command` node: through a worker shell into the node's log file, or spawned directly with
// its output relayed line by line. Loaded on the first node that runs, so a fully cached rerun does not
// load the spawner and its helpers.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { StepContext, StepResult } from '../../contract/step.js';
import type { CommandWith } from './schema.js';
import { runInSession } from './session.js';
import { KILL_GRACE_MS, runProcess } from './spawn.js';
import { ShellSpawner } from './spawner.js';
import type { RunningJob } from './spawner.js';

export async function runCommandNode(ctx: StepContext<CommandWith>): Promise<StepResult | undefined> {
  const w = ctx.with;
  // A command reports metrics by writing a JSON object of numbers to $MOE_METRICS (in the attempt's
  // scratch directory, which is empty when the attempt starts).
  const metricsFile = `${ctx.tmpDir}/moe-metrics.json`;
  // What the job's environment adds to the node's: MOE_METRICS, then the `env:` block. A worker shell
  // gets the two apart (no copy of the node's forty-odd variables per node); a spawned job, together.
  const extra: Readonly<Record<string, string>> =
    w.env === undefined ? { MOE_METRICS: metricsFile } : { MOE_METRICS: metricsFile, ...w.env };
  const envOf = (name: string): string | undefined =>
    Object.hasOwn(extra, name) ? extra[name] : ctx.env[name];
  // MOE_KILL_GRACE_MS shortens or lengthens the wait between SIGTERM and SIGKILL on abort.
  const grace = Number(envOf('MOE_KILL_GRACE_MS') ?? Number.NaN);
  const common = {
    cwd: ctx.pipelineDir,
    signal: ctx.signal,
    log: ctx.log,
    progress: ctx.progress.bind(ctx),
    ...(Number.isFinite(grace) && grace >= 0 ? { killGraceMs: grace } : {}),
  };
  let argv: readonly string[];
  if (w.run !== undefined) argv = ['/bin/sh', '-c', w.run];
  else if (w.argv && w.argv.length > 0) argv = w.argv;
  else throw new Error('command needs `run` or `argv`');
  // With a log file to write into, the job goes through a worker shell (cheap to start), queued behind
  // the job `ctx.relay` names when there is one; otherwise, or with MOE_DIRECT_SPAWN=1, this process
  // spawns it and relays its output line by line via `log`.
  const relay = ctx.relay;
  if (ctx.logFile !== undefined && envOf('MOE_DIRECT_SPAWN') !== '1') {
    const after = relay?.after;
    await runInSession(
      ShellSpawner.shared(),
      { argv, cwd: ctx.pipelineDir, env: ctx.env, extraEnv: extra, logFile: ctx.logFile },
      {
        signal: ctx.signal,
        progress: common.progress,
        killGraceMs: common.killGraceMs ?? KILL_GRACE_MS,
        after: isRunningJob(after) ? after : undefined,
        haltFile: relay?.haltFile,
        onStart: relay === undefined ? undefined : (job) => relay.started(job),
        onWithdrawn: relay === undefined ? undefined : () => relay.withdrawn(),
        onQueued:
          relay?.queued === undefined ? undefined : (job) => relay.queued?.(() => job.startElsewhere()),
      },
    );
  } else {
    relay?.started(undefined);
    const [file, ...args] = argv as [string, ...string[]];
    await runProcess({ file, args, env: { ...ctx.env, ...extra }, ...common });
  }
  const metrics = await readMetrics(metricsFile);
  return metrics === undefined ? undefined : { metrics };
}

/** The numbers of the JSON object the command wrote to $MOE_METRICS; undefined when it wrote none. */
async function readMetrics(file: string): Promise<Record<string, number> | undefined> {
  // Most commands write none: one access(2) instead of a failed open.
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`$MOE_METRICS must hold a JSON object of numbers, got: ${text.slice(0, 80)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('$MOE_METRICS must hold a JSON object of numbers');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'number') out[k] = v;
  return out;
}

/** A handle this step gave `relay.started` (the engine passes it on unchanged). */
function isRunningJob(v: unknown): v is RunningJob {
  return typeof v === 'object' && v !== null && 'exit' in v && 'kill' in v;
}
