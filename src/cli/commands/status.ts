import { Args, Command } from '@oclif/core';
import { STATUS_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import type { StatusReport } from '../../app/status.js';
import { endWithFailure } from '../failure.js';

export default class Status extends Command {
  static override description =
    'Show the last run of a pipeline (or of the workspace): each node with its state and duration, failures with their log file; and its last sweep when a later run came after it.';
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ description: 'pipeline file (default: the latest run in the workspace)' }),
  };
  static override flags = oclifFlags(STATUS_FLAGS);

  async run(): Promise<StatusReport | undefined> {
    const { args, flags } = await this.parse(Status);
    const { statusCommand } = await import('../actions/status.js');
    try {
      return await statusCommand(args.file, flags.workspace, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled());
    }
  }
}
