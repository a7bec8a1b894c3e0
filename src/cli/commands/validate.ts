import { Args, Command, Flags } from '@oclif/core';

export default class Validate extends Command {
  static override description =
    'Check a pipeline file: YAML, structure, step parameters, expressions, references, cycles. Prints every problem at once; exit code 2 when the pipeline is invalid.';
  static override examples = [
    '<%= config.bin %> validate p.yaml',
    '<%= config.bin %> validate p.yaml --param strength=0.3 --json',
  ];
  static override args = { file: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = {
    param: Flags.string({
      char: 'p',
      description: 'override a parameter: name=value',
      multiple: true,
      default: [],
    }),
    json: Flags.boolean({ description: 'print {valid, diagnostics} as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Validate);
    const { validateCommand } = await import('../render/validate-command.js');
    await validateCommand(args.file, flags.param, flags.json);
  }
}

export { checkPipeline } from '../render/validate-command.js';
export type { PipelineCheck } from '../render/validate-command.js';
