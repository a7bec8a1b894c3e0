import { PLAN_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import type { PlanJson } from '../../app/plan.js';
import { ActionCommand, PIPELINE_FILE_ARGS } from '../action-command.js';

export default class Plan extends ActionCommand {
  static override description =
    'Show what `moe run` would do: each node cached, will run (and why: which parameter, input or upstream node changed), blocked or in error.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> plan p.yaml --param strength=0.35'];
  static override args = PIPELINE_FILE_ARGS;
  static override flags = oclifFlags(PLAN_FLAGS);

  async run(): Promise<PlanJson | undefined> {
    const { args, flags } = await this.parse(Plan);
    return this.act(import('../actions/plan.js'), (a, json) => a.planCommand(args.file, flags, json));
  }
}
