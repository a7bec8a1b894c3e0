import { Args, Command } from '@oclif/core';
import { PLAN_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import type { PlanJson } from '../../app/plan.js';
import { endWithFailure } from '../failure.js';

export default class Plan extends Command {
  static override description =
    'Show what `moe run` would do: each node cached, will run (and why: which parameter, input or upstream node changed), blocked or in error.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> plan p.yaml --param strength=0.35'];
  static override args = { file: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = oclifFlags(PLAN_FLAGS);

  async run(): Promise<PlanJson | undefined> {
    const { args, flags } = await this.parse(Plan);
    const { planCommand } = await import('../actions/plan.js');
    try {
      return await planCommand(args.file, flags, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled());
    }
  }
}
