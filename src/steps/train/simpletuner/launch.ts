// How many SimpleTuner processes an expert runs: one per granted GPU, over one machine or several.
// `simpletuner train` takes `key=value` words (its simpletuner/cli/train.py turns them into `--key=value`),
// reads num_processes and num_machines itself, and inserts accelerate_extra_args between `accelerate
// launch` and train.py. The counts go into accelerate_extra_args too, because with an accelerate config
// file present (~/.cache/huggingface/accelerate/default_config.yaml) SimpleTuner launches
// `accelerate launch --config_file=…` and ignores its own num_processes; accelerate's command-line flags
// win over the file's.

export interface LaunchPlan {
  /** GPUs over all machines: accelerate's num_processes. */
  readonly gpus: number;
  /** Machines (Slurm nodes). */
  readonly nodes: number;
  /** This machine's rank, 0 on the main one. Multi-node only. */
  readonly machineRank?: number | string;
  /** The main machine's address and port (accelerate's main_process_ip / main_process_port). */
  readonly mainAddress?: string;
  readonly mainPort?: number;
}

export function launchArgs(p: LaunchPlan): string[] {
  const processes = Math.max(1, p.gpus);
  const machines = Math.max(1, p.nodes);
  const accelerate = [`--num_processes=${processes}`, `--num_machines=${machines}`];
  if (processes > 1) accelerate.push('--multi_gpu');
  if (machines > 1) {
    accelerate.push(`--machine_rank=${String(p.machineRank ?? 0)}`);
    if (p.mainAddress !== undefined) accelerate.push(`--main_process_ip=${p.mainAddress}`);
    if (p.mainPort !== undefined) accelerate.push(`--main_process_port=${p.mainPort}`);
  }
  return [
    `num_processes=${processes}`,
    `num_machines=${machines}`,
    `accelerate_extra_args=${accelerate.join(' ')}`,
  ];
}

/**
 * The plan for this job: one machine with the granted GPUs, or, in a Slurm allocation of several nodes
 * (SLURM_JOB_NUM_NODES), every node with as many GPUs as this one. The rank and main address are shell
 * variables that `multiNodeCommand` sets on each machine; the port comes from the job id, so two jobs on
 * one node do not collide.
 */
export function slurmLaunch(
  env: Readonly<Record<string, string | undefined>>,
  localGpus: number,
): LaunchPlan {
  const gpus = Math.max(1, localGpus);
  const nodes = Number(env['SLURM_JOB_NUM_NODES'] ?? env['SLURM_NNODES'] ?? '1');
  if (!Number.isInteger(nodes) || nodes <= 1) return { gpus, nodes: 1 };
  const job = Number(env['SLURM_JOB_ID'] ?? '0');
  return {
    gpus: gpus * nodes,
    nodes,
    machineRank: '$SLURM_NODEID',
    mainAddress: '$MOE_MAIN_ADDRESS',
    mainPort: 29500 + (Number.isInteger(job) ? job % 20000 : 0),
  };
}

/**
 * `srun` starting the command once on each machine of the allocation (one task per node), each with its
 * own machine rank (SLURM_NODEID) and the first host of the allocation as accelerate's main process.
 */
export function multiNodeCommand(command: readonly string[], plan: LaunchPlan): string[] {
  const words = [...command.map(single), ...launchArgs(plan).map(double)];
  const script = `MOE_MAIN_ADDRESS=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1); export MOE_MAIN_ADDRESS; exec ${words.join(' ')}`;
  return [
    'srun',
    `--nodes=${plan.nodes}`,
    '--ntasks-per-node=1',
    '--kill-on-bad-exit=1',
    'bash',
    '-c',
    script,
  ];
}

/** A word the shell takes literally. */
const single = (w: string): string => `'${w.replace(/'/g, `'\\''`)}'`;
/** A word of moe's own making whose `$VARIABLES` the shell on each machine fills in. */
const double = (w: string): string => `"${w.replace(/["\\`]/g, (c) => `\\${c}`)}"`;
