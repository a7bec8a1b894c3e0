// From a node's resources and the executor settings to sbatch flags. Pure, so the mapping is testable
// without a cluster.
import type { JsonValue, Resources } from '../../../pipeline/types.js';
import type { Result } from '../../../util/result.js';
import { err, ok } from '../../../util/result.js';

export interface SlurmSettings {
  readonly partition?: string;
  readonly account?: string;
  readonly qos?: string;
  /** Extra sbatch flags, passed as written (`--constraint=a100`, `--exclusive`). */
  readonly sbatchFlags: readonly string[];
  /** The command that runs one node on the compute node; the job spec path is appended. */
  readonly command?: readonly string[];
  /** How often moe looks at the job files and the queue. */
  readonly pollMs: number;
  /**
   * GPUs one compute node has. A node asking for more is spread over ceil(gpu / gpusPerNode) machines,
   * gpusPerNode each (`--nodes`, `--ntasks-per-node=1`); its step starts the processes on each machine.
   */
  readonly gpusPerNode?: number;
}

/** Reads the `executor:` block of a pipeline (everything but `kind`). */
export function slurmSettings(options: Readonly<Record<string, JsonValue>>): Result<SlurmSettings, string> {
  const str = (key: string): Result<string | undefined, string> => {
    const v = options[key];
    if (v === undefined) return ok(undefined);
    return typeof v === 'string' && v !== '' ? ok(v) : err(`executor.${key}: expected a non-empty string`);
  };
  const strings = (key: string): Result<string[] | undefined, string> => {
    const v = options[key];
    if (v === undefined) return ok(undefined);
    if (typeof v === 'string') return ok(v.split(/\s+/).filter((s) => s !== ''));
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return ok(v as string[]);
    return err(`executor.${key}: expected a list of strings`);
  };
  const known = new Set([
    'kind',
    'partition',
    'account',
    'qos',
    'sbatch_flags',
    'command',
    'poll',
    'gpus_per_node',
  ]);
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length > 0)
    return err(`executor: unknown setting ${unknown.join(', ')} (known: ${[...known].slice(1).join(', ')})`);
  const partition = str('partition');
  const account = str('account');
  const qos = str('qos');
  const flags = strings('sbatch_flags');
  const command = strings('command');
  for (const r of [partition, account, qos, flags, command]) if (!r.ok) return r;
  const poll = options.poll;
  if (poll !== undefined && (typeof poll !== 'number' || poll <= 0))
    return err('executor.poll: expected seconds > 0');
  const perNode = options.gpus_per_node;
  if (perNode !== undefined && (typeof perNode !== 'number' || !Number.isInteger(perNode) || perNode < 1))
    return err('executor.gpus_per_node: expected a whole number of GPUs ≥ 1');
  return ok({
    ...(partition.ok && partition.value !== undefined ? { partition: partition.value } : {}),
    ...(account.ok && account.value !== undefined ? { account: account.value } : {}),
    ...(qos.ok && qos.value !== undefined ? { qos: qos.value } : {}),
    sbatchFlags: (flags.ok && flags.value) || [],
    ...(command.ok && command.value !== undefined ? { command: command.value } : {}),
    pollMs: typeof poll === 'number' ? poll * 1000 : 1000,
    ...(typeof perNode === 'number' ? { gpusPerNode: perNode } : {}),
  });
}

export interface SbatchRequest {
  readonly jobName: string;
  readonly resources: Resources;
  readonly timeoutMs: number | undefined;
  readonly outputFile: string;
  readonly script: string;
}

export function sbatchArgs(req: SbatchRequest, settings: SlurmSettings): string[] {
  const args = ['--parsable', `--job-name=${req.jobName}`, `--output=${req.outputFile}`];
  if (settings.partition !== undefined) args.push(`--partition=${settings.partition}`);
  if (settings.account !== undefined) args.push(`--account=${settings.account}`);
  if (settings.qos !== undefined) args.push(`--qos=${settings.qos}`);
  const gpu = req.resources.gpu;
  const perNode = settings.gpusPerNode;
  if (gpu > 0 && perNode !== undefined && gpu > perNode) {
    // More GPUs than one machine has: whole machines, one task each (the step starts its processes there).
    args.push(`--nodes=${Math.ceil(gpu / perNode)}`, '--ntasks-per-node=1', `--gres=gpu:${perNode}`);
  } else if (gpu > 0) args.push(`--gres=gpu:${gpu}`);
  args.push(`--cpus-per-task=${Math.max(1, Math.ceil(req.resources.cpu))}`);
  if (req.resources.memoryBytes !== undefined) {
    args.push(`--mem=${Math.max(1, Math.ceil(req.resources.memoryBytes / 1024 ** 2))}M`);
  }
  // moe enforces the exact timeout itself; Slurm's limit (whole minutes) is a backstop a minute later.
  if (req.timeoutMs !== undefined) args.push(`--time=${Math.ceil(req.timeoutMs / 60_000) + 1}`);
  args.push(...settings.sbatchFlags, req.script);
  return args;
}
