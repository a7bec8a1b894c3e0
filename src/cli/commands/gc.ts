import { Args, Command, Flags } from '@oclif/core';
import type { GcReport } from '../../engine/gc.js';
import { endWithFailure } from '../render/support.js';

export default class Gc extends Command {
  static override description =
    'Delete store entries, records and scratch files that no pipeline record references. Never removes what a resumable run needs.';
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'a pipeline file, to find its workspace' }) };
  static override flags = {
    workspace: Flags.string({
      description: 'workspace directory (default: .moe beside the pipeline, or here)',
    }),
    'dry-run': Flags.boolean({ char: 'n', description: 'report what would be removed, remove nothing' }),
    'keep-runs': Flags.integer({
      description: 'run journals and logs kept per pipeline',
      default: 20,
      min: 0,
    }),
  };

  async run(): Promise<GcReport | undefined> {
    const { args, flags } = await this.parse(Gc);
    const { gcCommand } = await import('../render/gc-command.js');
    try {
      return await gcCommand(args.file, flags, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled());
    }
  }
}
