import { Args, Command } from '@oclif/core';
import type { StepInfo } from '../../app/step-infos.js';
import { endWithFailure } from '../failure.js';

export default class Steps extends Command {
  static override description =
    'List the step types (built-in, and the plugins of a pipeline) and their parameters.';
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'a pipeline file, to include its plugins' }) };

  async run(): Promise<StepInfo[] | undefined> {
    const { args } = await this.parse(Steps);
    const { stepsCommand } = await import('../actions/steps.js');
    try {
      return await stepsCommand(args.file, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled());
    }
  }
}
