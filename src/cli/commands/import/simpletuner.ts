import { Args, Flags } from '@oclif/core';
import { definedOnly } from '../../../util/defined.js';
import { ImportCommand } from '../../import-command.js';

export default class ImportSimpleTuner extends ImportCommand {
  static override description =
    'Write a moe pipeline from a SimpleTuner setup (config.json or config.env, optionally the stage-two config and multidatabackend.json), listing every option that could not be carried over.';
  static override examples = [
    '<%= config.bin %> import simpletuner config/base/config.json --stage2 config/refiner/config.json --databackend config/multidatabackend.json -o moe.yaml',
    '<%= config.bin %> import simpletuner config/config.env',
  ];
  static override enableJsonFlag = true;
  static override args = {
    config: Args.string({ description: 'stage-one config.json or config.env', required: true }),
  };
  static override flags = {
    stage2: Flags.string({ description: "the stage-two (refiner) expert's config" }),
    databackend: Flags.string({
      description: 'multidatabackend.json (default: the config’s data_backend_config)',
    }),
    output: Flags.string({ char: 'o', description: 'write the pipeline here instead of stdout' }),
    name: Flags.string({ description: 'pipeline name (default: the config file name)' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ImportSimpleTuner);
    const { importSimpleTuner } = await import('../../../import/simpletuner/index.js');
    const { stage2, databackend } = flags;
    const name = this.pipelineName(flags.name);
    const result = await importSimpleTuner({
      config: args.config,
      ...definedOnly({ stage2, databackend, name }),
    });
    return this.finish(
      result,
      flags.output,
      (n) => `${n.option} = ${String(n.value)}: ${n.reason} (${n.file})`,
    );
  }
}
