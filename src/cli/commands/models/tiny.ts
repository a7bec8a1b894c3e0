import { Args, Flags } from '@oclif/core';
import { ActionCommand } from '../../action-command.js';
import type { TinyFamily } from '../../../models/tiny/index.js';

export default class ModelsTiny extends ActionCommand {
  static override description =
    "Write moe's tiny SDXL family: an SSD-1B-layout Optimum model folder (tokenizers, two CLIP text encoders, a fitted VAE) at tiny size, with the UNet as a diffusers folder. The same seed gives byte-identical files.";
  static override examples = [
    '<%= config.bin %> models tiny models/tiny',
    '<%= config.bin %> models tiny models/tiny-s3 --seed 3',
    '<%= config.bin %> models tiny models/tiny-wide --block-out-channels 32,72',
  ];
  static override enableJsonFlag = true;
  static override args = {
    dir: Args.string({ description: 'folder to write (must be empty or absent)', required: true }),
  };
  static override flags = {
    seed: Flags.integer({
      description: 'seed for the text encoders and the UNet weights',
      default: 0,
      min: 0,
      max: 0xffffffff,
    }),
    'block-out-channels': Flags.string({
      description:
        "the UNet's width per level, comma-separated: 2 multiples of 8 up to 512 (default 32,64, the reference config)",
    }),
  };

  async run(): Promise<TinyFamily> {
    const { args, flags } = await this.parse(ModelsTiny);
    const { generateTinyFamily } = await import('../../../models/tiny/index.js');
    const widths = flags['block-out-channels'];
    const blockOutChannels =
      widths === undefined ? undefined : widths.split(',').map((x) => Number(x.trim()));
    const { value, seconds } = await this.timed(() =>
      generateTinyFamily(args.dir, {
        seed: flags.seed,
        ...(blockOutChannels !== undefined ? { blockOutChannels } : {}),
      }),
    );
    this.log(
      `wrote ${value.files.length} files (${(value.totalBytes / 2 ** 20).toFixed(1)} MiB) to ${value.dir} in ${seconds}s, seed ${flags.seed}, UNet widths ${value.blockOutChannels.join(',')}`,
    );
    return value;
  }
}
