import { Args, Command } from '@oclif/core';
import { GC_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import type { GcReport } from '../../engine/gc.js';
import { endWithFailure } from '../failure.js';

export default class Gc extends Command {
  static override description =
    'Delete store entries, records and scratch files that no pipeline record references. Never removes what a resumable run needs.';
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'a pipeline file, to find its workspace' }) };
  static override flags = oclifFlags(GC_FLAGS);

  async run(): Promise<GcReport | undefined> {
    const { args, flags } = await this.parse(Gc);
    const { gcCommand } = await import('../actions/gc.js');
    try {
      return await gcCommand(args.file, flags, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled());
    }
  }
}
