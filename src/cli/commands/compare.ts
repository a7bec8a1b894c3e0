import { Args, Command } from '@oclif/core';
import { COMPARE_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import type { ComparisonJson } from '../../app/compare.js';
import { endWithFailure } from '../failure.js';

export default class Compare extends Command {
  static override description =
    "Compare the variants of a pipeline's last sweep: one row per variant with its swept values, the objective and the other metrics, best first.";
  static override enableJsonFlag = true;
  static override examples = [
    '<%= config.bin %> compare pipelines/tiny.yaml',
    '<%= config.bin %> compare pipelines/tiny.yaml --html sweep.html',
  ];
  static override args = { file: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = oclifFlags(COMPARE_FLAGS);

  async run(): Promise<ComparisonJson | undefined> {
    const { args, flags } = await this.parse(Compare);
    const { compareCommand } = await import('../actions/compare.js');
    try {
      return await compareCommand(args.file, flags, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled());
    }
  }
}
