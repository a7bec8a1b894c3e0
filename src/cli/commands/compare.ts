import { PIPELINE_COMMANDS } from '../flags.js';
import type { ComparisonJson } from '../../app/compare.js';
import { pipelineCommand } from '../action-command.js';

export default class Compare extends pipelineCommand(PIPELINE_COMMANDS.compare, {
  description:
    "Compare the variants of a pipeline's last sweep: one row per variant with its swept values, the objective and the other metrics, best first.",
  examples: [
    '<%= config.bin %> compare pipelines/tiny.yaml',
    '<%= config.bin %> compare pipelines/tiny.yaml --html sweep.html',
  ],
}) {
  async run(): Promise<ComparisonJson | undefined> {
    const { args, flags } = await this.parse(Compare);
    return this.act(import('../actions/compare.js'), (a, json) => a.compareCommand(args.file, flags, json));
  }
}
