import { Args, Command, Flags } from '@oclif/core';
import type { PlanJson } from '../render/plan-command.js';
import { endWithFailure } from '../render/support.js';

export default class Plan extends Command {
  static override description =
    'Show what `moe run` would do: each node cached, will run (and why: which parameter, input or upstream node changed), blocked or in error.';
  static override enableJsonFlag = true;
  static override examples = ['<%= config.bin %> plan p.yaml --param strength=0.35'];
  static override args = { file: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = {
    param: Flags.string({
      char: 'p',
      description: 'override a parameter: name=value',
      multiple: true,
      default: [],
    }),
    workspace: Flags.string({ description: 'workspace directory (default: .moe beside the pipeline)' }),
    force: Flags.string({ description: 'plan this node as forced', multiple: true, default: [] }),
    only: Flags.string({ description: 'plan only this node', multiple: true, default: [] }),
    from: Flags.string({
      description: 'plan this node and everything downstream as forced',
      multiple: true,
      default: [],
    }),
  };

  async run(): Promise<PlanJson | undefined> {
    const { args, flags } = await this.parse(Plan);
    const { planCommand } = await import('../render/plan-command.js');
    try {
      return await planCommand(args.file, flags, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled());
    }
  }
}
