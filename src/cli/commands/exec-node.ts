import { Args, Command } from '@oclif/core';

export default class ExecNode extends Command {
  static override hidden = true;
  static override description =
    'Run one node attempt described by a job spec (what a Slurm job runs); reports through the job files beside the spec.';
  static override args = {
    spec: Args.string({ description: 'the job spec.json written by the Slurm executor', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(ExecNode);
    const { execNode } = await import('../../app/exec-node.js');
    const code = await execNode(args.spec);
    if (code !== 0) this.exit(code);
  }
}
