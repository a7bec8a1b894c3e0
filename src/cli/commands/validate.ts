import { Args, Command } from '@oclif/core';
import { VALIDATE_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';

export default class Validate extends Command {
  static override description =
    'Check a pipeline file: YAML, structure, step parameters, expressions, references, cycles. Prints every problem at once; exit code 2 when the pipeline is invalid.';
  static override examples = [
    '<%= config.bin %> validate p.yaml',
    '<%= config.bin %> validate p.yaml --param strength=0.3 --json',
  ];
  static override args = { file: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = oclifFlags(VALIDATE_FLAGS);

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Validate);
    const { validateCommand } = await import('../actions/validate.js');
    await validateCommand(args.file, flags.param, flags.json);
  }
}
