import { PIPELINE_COMMANDS } from '../flags.js';
import type { PlanJson } from '../../app/plan.js';
import { pipelineCommand } from '../action-command.js';

export default class Plan extends pipelineCommand(PIPELINE_COMMANDS.plan, {
  description:
    'Show what `moe run` would do: each node cached, will run (and why: which parameter, input or upstream node changed), blocked or in error.',
  examples: ['<%= config.bin %> plan p.yaml --param strength=0.35'],
}) {
  async run(): Promise<PlanJson | undefined> {
    const { args, flags } = await this.parse(Plan);
    return this.act(import('../actions/plan.js'), (a, json) => a.planCommand(args.file, flags, json));
  }
}
