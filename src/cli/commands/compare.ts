import { COMPARE_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import type { ComparisonJson } from '../../app/compare.js';
import { ActionCommand, PIPELINE_FILE_ARGS } from '../action-command.js';

export default class Compare extends ActionCommand {
  static override description =
    "Compare the variants of a pipeline's last sweep: one row per variant with its swept values, the objective and the other metrics, best first.";
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> compare pipelines/tiny.yaml',
    '<%= config.bin %> compare pipelines/tiny.yaml --html sweep.html',
  ];
  static override args = PIPELINE_FILE_ARGS;
  static override flags = oclifFlags(COMPARE_FLAGS);

  async run(): Promise<ComparisonJson | undefined> {
    const { args, flags } = await this.parse(Compare);
    return this.act(import('../actions/compare.js'), (a, json) => a.compareCommand(args.file, flags, json));
  }
}
