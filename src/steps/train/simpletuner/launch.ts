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
