import { Args, Flags } from '@oclif/core';
import { ActionCommand } from '../action-command.js';

export default class Schema extends ActionCommand {
  static override description =
    "Print or write the JSON Schema that editors (the YAML language server) check pipeline files with: the built-in step types, plus a pipeline's plugins' when FILE is given.";
  static override examples = [
    '<%= config.bin %> schema pipelines/train.yaml --out pipelines/pipeline.schema.json',
    '<%= config.bin %> schema > pipeline.schema.json',
  ];
  static override args = {
    file: Args.string({ description: "a pipeline file, to include its plugins' step types" }),
  };
  static override flags = {
    out: Flags.string({ char: 'o', description: 'write the schema to this file instead of stdout' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Schema);
    await this.act(import('../actions/schema.js'), (a) => a.schemaCommand(args.file, flags.out));
  }
}
