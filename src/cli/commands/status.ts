import { Args } from '@oclif/core';
import { STATUS_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import type { StatusReport } from '../../app/status.js';
import { ActionCommand } from '../action-command.js';

export default class Status extends ActionCommand {
  static override description =
    'Show the last run of a pipeline (or of the workspace): each node with its state and duration, failures with their log file; and its last sweep when a later run came after it.';
  static override enableJsonFlag = true;
  static override args = {
    file: Args.string({ description: 'pipeline file (default: the latest run in the workspace)' }),
  };
  static override flags = oclifFlags(STATUS_FLAGS);

  async run(): Promise<StatusReport | undefined> {
    const { args, flags } = await this.parse(Status);
    return this.act(import('../actions/status.js'), (a, json) =>
      a.statusCommand(args.file, flags.workspace, json),
    );
  }
}
