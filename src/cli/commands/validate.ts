import { PIPELINE_COMMANDS } from '../flags.js';
import { pipelineCommand } from '../action-command.js';

export default class Validate extends pipelineCommand(PIPELINE_COMMANDS.validate, {
  description:
    'Check a pipeline file: YAML, structure, step parameters, expressions, references, cycles. Prints every problem at once; exit code 2 when the pipeline is invalid.',
  examples: [
    '<%= config.bin %> validate p.yaml',
    '<%= config.bin %> validate p.yaml --param strength=0.3 --json',
  ],
}) {
  async run(): Promise<void> {
    const { args, flags } = await this.parse(Validate);
    await this.act(import('../actions/validate.js'), (a) =>
      a.validateCommand(args.file, flags.param, flags.json),
    );
  }
}
