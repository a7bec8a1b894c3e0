import { VALIDATE_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import { ActionCommand, PIPELINE_FILE_ARGS } from '../action-command.js';

export default class Validate extends ActionCommand {
  static override description =
    'Check a pipeline file: YAML, structure, step parameters, expressions, references, cycles. Prints every problem at once; exit code 2 when the pipeline is invalid.';
  static override examples = [
    '<%= config.bin %> validate p.yaml',
    '<%= config.bin %> validate p.yaml --param strength=0.3 --json',
  ];
  static override args = PIPELINE_FILE_ARGS;
  static override flags = oclifFlags(VALIDATE_FLAGS);

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Validate);
    await this.act(import('../actions/validate.js'), (a) =>
      a.validateCommand(args.file, flags.param, flags.json),
    );
  }
}
