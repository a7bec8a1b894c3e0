import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok } from '../../util/result.js';
import type { Result } from '../../util/result.js';
import type { ContractProblem } from './contract.js';

/** SDXL's VAE scaling factor (diffusers' AutoencoderKL config for SDXL and SSD-1B). */
export const SDXL_VAE_SCALING_FACTOR = 0.13025;

export interface OnnxFile {
  readonly path: string;
  /** `model.onnx_data` beside it, when weights live in ONNX external data. */
  readonly externalData?: string;
}

export interface DiffusersUnet {
  readonly dir: string;
  /** unet/config.json as diffusers writes it. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The single safetensors file or the sharded index. */
  readonly weights: string;
}

/**
 * A model folder as the rest of moe sees it: an Optimum SDXL/SSD-1B export, possibly with the UNet as a
 * diffusers checkpoint (a SimpleTuner fine-tune, or moe's tiny family) instead of, or beside, unet/model.onnx.
 */
export interface ModelFolder {
  readonly root: string;
  readonly modelIndex: Readonly<Record<string, unknown>>;
  readonly schedulerConfig: Readonly<Record<string, unknown>>;
  readonly tokenizer: string;
  readonly tokenizer2: string;
  readonly textEncoder: OnnxFile;
  readonly textEncoder2: OnnxFile;
  /** At least one of the two is present; when both are, the diffusers checkpoint is the source of truth. */
  readonly unet: { readonly diffusers?: DiffusersUnet; readonly onnx?: OnnxFile };
  readonly vaeEncoder: OnnxFile;
  readonly vaeDecoder: OnnxFile;
  readonly vaeScalingFactor: number;
  /** SDXL base: an absent negative prompt is all zeros rather than the encoding of "". */
  readonly forceZerosForEmptyPrompt: boolean;
}

export interface ModelFolderError {
  readonly reason: 'invalid-model-folder';
  readonly root: string;
  readonly problems: readonly ContractProblem[];
  /** Every problem, one per line, for people. */
  readonly message: string;
}

export function modelFolderError(root: string, problems: readonly ContractProblem[]): ModelFolderError {
  const message = [
    `${root} is not a usable SDXL model folder:`,
    ...problems.map((p) => `  ${p.file}: ${p.message}`),
  ].join('\n');
  return { reason: 'invalid-model-folder', root, problems, message };
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface DescribeOptions {
  /**
   * A UNet folder to use instead of `ROOT/unet`: a diffusers checkpoint (config.json + safetensors, e.g.
   * what moe's trainer or SimpleTuner writes) and/or a model.onnx, combined with the export's text
   * encoders, tokenizers and VAE.
   */
  readonly unet?: string;
}

/** Looks files of a model folder up, collecting every missing or unreadable one as a problem. */
class FolderReader {
  readonly problems: ContractProblem[] = [];

  constructor(private readonly root: string) {}

  /** A JSON object file: undefined (and a problem when `required`) if absent, unreadable or not an object. */
  async json(rel: string, required: boolean, base = this.root): Promise<Record<string, unknown> | undefined> {
    const path = join(base, rel);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      if (required) this.problems.push({ file: path, message: 'missing' });
      return undefined;
    }
    try {
      const v: unknown = JSON.parse(text);
      if (isRecord(v)) return v;
      this.problems.push({ file: path, message: 'is not a JSON object' });
    } catch (e) {
      this.problems.push({
        file: path,
        message: `is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
      });
    }
    return undefined;
  }

  /** `DIR/model.onnx`, with its external data file when there is one. */
  async onnx(dir: string, required: boolean, base = this.root): Promise<OnnxFile | undefined> {
    const path = join(base, dir, 'model.onnx');
    if (!(await exists(path))) {
      if (required) this.problems.push({ file: path, message: 'missing' });
      return undefined;
    }
    const data = `${path}_data`;
    return (await exists(data)) ? { path, externalData: data } : { path };
  }

  /** A tokenizer folder: vocab.json + merges.txt, or tokenizer.json. */
  async tokenizerDir(dir: string): Promise<string> {
    const path = join(this.root, dir);
    const hasPair = (await exists(join(path, 'vocab.json'))) && (await exists(join(path, 'merges.txt')));
    if (!hasPair && !(await exists(join(path, 'tokenizer.json')))) {
      this.problems.push({
        file: join(path, 'vocab.json'),
        message: 'missing (a tokenizer needs vocab.json + merges.txt or tokenizer.json)',
      });
    }
    return path;
  }

  /** The UNet folder: a model.onnx, a diffusers checkpoint (config.json + weights), or both. */
  async unet(unetDir: string): Promise<ModelFolder['unet']> {
    const unetOnnx = await this.onnx('', false, unetDir);
    const unetConfig = await this.json('config.json', false, unetDir);
    let diffusers: DiffusersUnet | undefined;
    if (unetConfig !== undefined) {
      const single = join(unetDir, 'diffusion_pytorch_model.safetensors');
      const index = `${single}.index.json`;
      const weights = (await exists(single)) ? single : (await exists(index)) ? index : undefined;
      if (weights === undefined)
        this.problems.push({
          file: single,
          message: 'missing (its config.json is there, its weights are not)',
        });
      else diffusers = { dir: unetDir, config: unetConfig, weights };
    } else if (unetOnnx === undefined) {
      this.problems.push({
        file: join(unetDir, 'model.onnx'),
        message: 'missing (nor is there a diffusers config.json beside it)',
      });
    }
    return { ...(diffusers ? { diffusers } : {}), ...(unetOnnx ? { onnx: unetOnnx } : {}) };
  }
}

/**
 * Finds every file of the layout and reads the small JSON configs. Reports every missing or unreadable file
 * at once. Does not open the ONNX models: `inspectModelFolder` does that.
 */
export async function describeModelFolder(
  root: string,
  options: DescribeOptions = {},
): Promise<Result<ModelFolder, ModelFolderError>> {
  const read = new FolderReader(root);
  const modelIndex = await read.json('model_index.json', true);
  const schedulerConfig = await read.json(join('scheduler', 'scheduler_config.json'), true);
  const tokenizer = await read.tokenizerDir('tokenizer');
  const tokenizer2 = await read.tokenizerDir('tokenizer_2');
  const textEncoder = await read.onnx('text_encoder', true);
  const textEncoder2 = await read.onnx('text_encoder_2', true);
  const vaeEncoder = await read.onnx('vae_encoder', true);
  const vaeDecoder = await read.onnx('vae_decoder', true);
  // The UNet: root/unet, or a folder given by the caller (a fine-tuned UNet beside a base export).
  const unet = await read.unet(options.unet ?? join(root, 'unet'));
  const vaeConfig =
    (await read.json(join('vae_decoder', 'config.json'), false)) ??
    (await read.json(join('vae_encoder', 'config.json'), false));
  const scaling = vaeConfig?.['scaling_factor'];
  const forceZeros = modelIndex?.['force_zeros_for_empty_prompt'];

  if (
    read.problems.length > 0 ||
    modelIndex === undefined ||
    schedulerConfig === undefined ||
    textEncoder === undefined ||
    textEncoder2 === undefined ||
    vaeEncoder === undefined ||
    vaeDecoder === undefined
  ) {
    return err(modelFolderError(root, read.problems));
  }
  return ok({
    root,
    modelIndex,
    schedulerConfig,
    tokenizer,
    tokenizer2,
    textEncoder,
    textEncoder2,
    unet,
    vaeEncoder,
    vaeDecoder,
    vaeScalingFactor: typeof scaling === 'number' && scaling > 0 ? scaling : SDXL_VAE_SCALING_FACTOR,
    // diffusers' SDXL pipelines default it to true; only an explicit false turns it off.
    forceZerosForEmptyPrompt: forceZeros !== false,
  });
}
