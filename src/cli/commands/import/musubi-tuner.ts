import { Args, Flags } from '@oclif/core';
import { definedOnly } from '../../../util/defined.js';
import { ImportCommand } from '../../import-command.js';

export default class ImportMusubiTuner extends ImportCommand {
  static override description =
    "Write a moe flow-matching pipeline from musubi-tuner's Wan 2.2 training (the command line or its --config_file TOML, optionally the other expert's run and the dataset TOML), listing every option that could not be carried over.";
  static override examples = [
    '<%= config.bin %> import musubi-tuner train-high.sh --other train-low.sh --dataset dataset.toml -o moe.yaml',
    '<%= config.bin %> import musubi-tuner train-both.sh   # --dit and --dit_high_noise in one run',
  ];
  static override enableJsonFlag = true;
  static override args = {
    config: Args.string({
      description: 'a file holding the training command (wan_train_network.py …), or its --config_file TOML',
      required: true,
    }),
  };
  static override flags = {
    other: Flags.string({ description: "the other expert's run, when the two experts train apart" }),
    dataset: Flags.string({ description: "the dataset TOML (default: the run's --dataset_config)" }),
    output: Flags.string({ char: 'o', description: 'write the pipeline here instead of stdout' }),
    name: Flags.string({ description: 'pipeline name (default: the file name)' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(ImportMusubiTuner);
    const { importMusubi } = await import('../../../import/musubi/index.js');
    const { at } = await import('../../../import/musubi/options.js');
    const { other, dataset } = flags;
    const name = this.pipelineName(flags.name);
    const result = await importMusubi({ config: args.config, ...definedOnly({ other, dataset, name }) });
    return this.finish(result, flags.output, (n) => `${at(n.where)}: ${n.option} ${n.value}: ${n.reason}`);
  }
}
