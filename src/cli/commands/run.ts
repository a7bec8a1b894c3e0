import { Args, Command, Flags } from '@oclif/core';
import type { PlanJson } from '../render/plan-command.js';
import { endWithFailure } from '../render/support.js';

export default class Run extends Command {
  static override description =
    'Run a pipeline: cached nodes are skipped, the rest run in parallel. Running it again resumes after Ctrl-C, kill -9 or a failure.';
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> run pipelines/demo.yaml',
    '<%= config.bin %> run p.yaml --param strength=0.3 --jobs 4',
    '<%= config.bin %> run p.yaml --from train --keep-going',
  ];
  static override args = { file: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = {
    param: Flags.string({
      char: 'p',
      description: 'override a parameter: name=value',
      multiple: true,
      default: [],
    }),
    workspace: Flags.string({ description: 'workspace directory (default: .moe beside the pipeline)' }),
    jobs: Flags.integer({ char: 'j', description: 'nodes running at once (default: CPU cores)', min: 1 }),
    gpus: Flags.string({
      description: 'GPU device ids to use, e.g. 0,1 (default: CUDA_VISIBLE_DEVICES or all)',
    }),
    force: Flags.string({ description: 'rerun this node even if cached', multiple: true, default: [] }),
    only: Flags.string({
      description: 'run only this node (its inputs must be up to date)',
      multiple: true,
      default: [],
    }),
    from: Flags.string({
      description: 'rerun this node and everything downstream',
      multiple: true,
      default: [],
    }),
    'keep-going': Flags.boolean({
      char: 'k',
      description: 'keep running nodes that do not depend on a failed one',
    }),
    executor: Flags.string({
      description: "where nodes run (default: the pipeline's executor:, else local)",
      options: ['local', 'slurm'],
    }),
    'dry-run': Flags.boolean({ char: 'n', description: 'show what would run, run nothing' }),
    wait: Flags.integer({
      description: 'seconds to wait for another run holding the workspace',
      default: 0,
      min: 0,
    }),
  };

  // With --json a run streams NDJSON itself; only `--dry-run`'s plan comes back for oclif to print.
  async run(): Promise<PlanJson | undefined> {
    const { args, flags } = await this.parse(Run);
    const { runCommand } = await import('../render/run-command.js');
    try {
      return await runCommand(args.file, flags, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled(), !flags['dry-run']);
    }
  }
}
