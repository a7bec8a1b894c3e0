import { Args } from '@oclif/core';
import type { StepInfo } from '../../app/step-infos.js';
import { ActionCommand } from '../action-command.js';

export default class Steps extends ActionCommand {
  static override description =
    'List the step types (built-in, and the plugins of a pipeline) and their parameters.';
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'a pipeline file, to include its plugins' }) };

  async run(): Promise<StepInfo[] | undefined> {
    const { args } = await this.parse(Steps);
    return this.act(import('../actions/steps.js'), (a, json) => a.stepsCommand(args.file, json));
  }
}
