import { Args, Flags } from '@oclif/core';
import { ActionCommand } from '../../action-command.js';
import type { ConvertedUNet } from '../../../models/unet/index.js';

export default class ModelsUnet extends ActionCommand {
  static override description =
    "Convert a diffusers UNet (SDXL, SSD-1B or smaller UNet2DConditionModel: config.json + safetensors, single or sharded) to ONNX: OUT_DIR/model.onnx with Optimum's tensor names (sample, timestep, encoder_hidden_states, text_embeds, time_ids → out_sample), weights over 2 GB in OUT_DIR/model.onnx_data.";
  static override examples = [
    '<%= config.bin %> models unet ~/models/ssd-1b/unet out/ssd-1b/unet',
    '<%= config.bin %> models unet checkpoints/checkpoint-500/unet out/unet --external-data always',
  ];
  static override enableJsonFlag = true;
  static override args = {
    unetDir: Args.string({
      description: 'diffusers UNet folder (config.json, diffusion_pytorch_model*.safetensors)',
      required: true,
    }),
    outDir: Args.string({
      description: 'folder to write model.onnx into (created when absent)',
      required: true,
    }),
  };
  static override flags = {
    'external-data': Flags.string({
      description: 'put weights in model.onnx_data: auto (only past 2 GB), always or never',
      options: ['auto', 'always', 'never'],
      default: 'auto',
    }),
    'time-ids': Flags.integer({
      description:
        'number of SDXL time ids (6 for base models, 5 for the SDXL refiner); guessed from the config when absent',
      min: 1,
      max: 16,
    }),
  };

  async run(): Promise<ConvertedUNet> {
    const { args, flags } = await this.parse(ModelsUnet);
    const { convertDiffusersUNet } = await import('../../../models/unet/index.js');
    const external = flags['external-data'] as 'auto' | 'always' | 'never';
    const { value, seconds } = await this.timed(() =>
      convertDiffusersUNet(args.unetDir, args.outDir, {
        save: { externalData: external },
        ...(flags['time-ids'] !== undefined ? { timeIds: flags['time-ids'] } : {}),
      }),
    );
    const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
    const data = value.externalDataPath ? ` + ${value.externalDataPath} (${mib(value.externalBytes)})` : '';
    this.log(
      `wrote ${value.modelPath} (${mib(value.modelBytes)})${data}: ${value.parameters.toLocaleString('en-US')} parameters in ${seconds}s`,
    );
    return value;
  }
}
