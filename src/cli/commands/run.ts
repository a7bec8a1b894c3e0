import { PIPELINE_COMMANDS } from '../flags.js';
import type { PlanJson } from '../../app/plan.js';
import { pipelineCommand } from '../action-command.js';

export default class Run extends pipelineCommand(PIPELINE_COMMANDS.run, {
  description:
    'Run a pipeline: cached nodes are skipped, the rest run in parallel. Running it again resumes after Ctrl-C, kill -9 or a failure.',
  examples: [
    '<%= config.bin %> run pipelines/demo.yaml',
    '<%= config.bin %> run p.yaml --param strength=0.3 --jobs 4',
    '<%= config.bin %> run pipelines/tiny.yaml --sweep strength=0.25,0.35,0.5',
    '<%= config.bin %> run p.yaml --from train --keep-going',
  ],
}) {
  // With --json a run streams NDJSON itself; only `--dry-run`'s plan comes back for oclif to print.
  async run(): Promise<PlanJson | undefined> {
    const { args, flags } = await this.parse(Run);
    return this.act(
      import('../actions/run.js'),
      (a, json) => a.runCommand(args.file, flags, json),
      !flags['dry-run'],
    );
  }
}
