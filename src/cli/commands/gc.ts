import { Args } from '@oclif/core';
import { GC_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import type { GcReport } from '../../engine/gc.js';
import { ActionCommand } from '../action-command.js';

export default class Gc extends ActionCommand {
  static override description =
    'Delete store entries, records and scratch files that no pipeline record references. Never removes what a resumable run needs.';
  static override enableJsonFlag = true;
  static override args = { file: Args.string({ description: 'a pipeline file, to find its workspace' }) };
  static override flags = oclifFlags(GC_FLAGS);

  async run(): Promise<GcReport | undefined> {
    const { args, flags } = await this.parse(Gc);
    return this.act(import('../actions/gc.js'), (a, json) => a.gcCommand(args.file, flags, json));
  }
}
