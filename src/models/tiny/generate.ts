import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { saveModel } from '../../onnx/index.js';
import type { Model } from '../../onnx/index.js';
import { writeSafetensors } from '../../formats/safetensors.js';
import { parseUNetConfig } from '../unet/config.js';
import { convertDiffusersUNet } from '../unet/load.js';
import { CLIP_DEFAULTS, learnClipVocabulary, writeClipTokenizer } from '../tokenizer/index.js';
import { Random } from '../math/random.js';
import { clipConfigJson } from '../clip/config.js';
import { initClipTextParams } from '../clip/params.js';
import type { NamedTensor } from '../clip/params.js';
import { buildClipTextModel } from '../clip/graph.js';
import { fitLinearVae } from '../vae/linear-vae.js';
import { syntheticBatch } from '../vae/synthetic.js';
import { buildVaeDecoder, buildVaeEncoder } from '../vae/graph.js';
import { initUnetParams } from './unet-params.js';
import {
  SDXL_MODEL_INDEX,
  SDXL_SCHEDULER_CONFIG,
  TINY_UNET_CONFIG,
  TINY_VAE,
  TINY_VOCABULARY_WORDS,
  tinyTextEncoderConfigs,
  tinyUnetChannelsProblem,
  tinyUnetConfig,
  tinyVaeConfigJson,
} from './configs.js';
import { err, ok } from '../../util/result.js';
import type { Result } from '../../util/result.js';

export interface TinyFamilyOptions {
  /** Seeds the text encoders' and the UNet's weights. @default 0 */
  readonly seed?: number;
  /**
   * The UNet's block_out_channels, one width per level (tinyUnetChannelsProblem says what is allowed).
   * @default TINY_UNET_CONFIG's [32, 64]
   */
  readonly blockOutChannels?: readonly number[];
}

export interface TinyFamily {
  readonly dir: string;
  readonly seed: number;
  /** The UNet's block_out_channels. */
  readonly blockOutChannels: readonly number[];
  /** Every file written, relative to `dir`, in name order, with its size. */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly totalBytes: number;
}

export interface TinyFamilyError {
  readonly reason: 'not-empty' | 'bad-seed' | 'bad-channels';
  readonly message: string;
}

/** The seed the VAE's fitting images are drawn with: fixed, so every tiny family shares one VAE and its latents. */
const VAE_DATA_SEED = 20240607;

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

async function listFiles(root: string, dir = root): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    const s = await stat(p);
    if (s.isDirectory()) out.push(...(await listFiles(root, p)));
    else out.push({ path: relative(root, p), bytes: s.size });
  }
  return out;
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/**
 * Writes moe's tiny SDXL family into `dir`: the layout and tensor contract of an SSD-1B Optimum export
 * (model_index.json, scheduler/, tokenizer/, tokenizer_2/, text_encoder/, text_encoder_2/, vae_encoder/,
 * vae_decoder/, each ONNX model with its config.json) at tiny size, with the UNet as a diffusers folder
 * (unet/config.json + diffusion_pytorch_model.safetensors) that moe's UNet builder turns into ONNX.
 * The same seed gives byte-identical files. Everything is staged in a temporary folder beside `dir` and
 * moved into place at the end, so a half-written family never appears. `dir` must be empty or absent.
 */
export async function generateTinyFamily(
  dir: string,
  options: TinyFamilyOptions = {},
): Promise<Result<TinyFamily, TinyFamilyError>> {
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    return err({ reason: 'bad-seed', message: `seed must be an integer from 0 to 4294967295, got ${seed}` });
  }
  const channels = options.blockOutChannels ?? TINY_UNET_CONFIG.block_out_channels;
  const channelsProblem = tinyUnetChannelsProblem(channels);
  if (channelsProblem !== undefined) return err({ reason: 'bad-channels', message: channelsProblem });
  if (!(await isEmptyOrMissing(dir))) {
    return err({ reason: 'not-empty', message: `${dir} exists and is not empty; choose a new folder` });
  }
  await mkdir(dirname(dir), { recursive: true });
  const stage = join(dirname(dir), `.${basename(dir)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFamily(stage, seed, tinyUnetConfig(channels));
    await rm(dir, { recursive: true, force: true });
    await rename(stage, dir);
  } catch (e) {
    await rm(stage, { recursive: true, force: true });
    throw e;
  }
  const files = await listFiles(dir);
  return ok({
    dir,
    seed,
    blockOutChannels: [...channels],
    files,
    totalBytes: files.reduce((s, f) => s + f.bytes, 0),
  });
}

/**
 * Zeroes the end-of-text token's embedding. The pooled output (text_embeds, SDXL's global conditioning)
 * is the state at that token; a trained CLIP learns to gather the prompt there, a random one does not:
 * with its own unit-scale embedding in the residual stream, the state is mostly the token itself and
 * prompts that differ in one word pool to vectors with cosine 0.99. Without it, the state is what
 * attention gathers from the prompt's words, so the pooled vectors tell prompts apart.
 */
function summarisingEos(params: NamedTensor[], eos: number): NamedTensor[] {
  const table = params.find((p) => p.name === 'text_model.embeddings.token_embedding.weight');
  if (table === undefined) throw new Error('the text encoder has no token embedding');
  const width = table.shape[1] ?? 0;
  table.data.fill(0, eos * width, (eos + 1) * width);
  return params;
}

/**
 * The first text encoder's position embeddings are drawn at the tokens' scale (N(0, 1)), as CLIP draws
 * both alike: its states then tell a word's role in the caption from its place ("a blue square on a green
 * background": the colour before the shape or before "background"), which at 0.1 they barely did (the
 * same colour in the two slots had cosine 0.96–0.99, so swapped prompts conditioned the UNet alike). The
 * second encoder keeps 0.1: its pooled output is the state at the zero end-of-text embedding, which a
 * unit-scale position embedding there would dominate (every prompt's text_embeds at cosine 1.00).
 */
export const TINY_TEXT_ENCODER_POSITION_STD = 1;

async function writeFamily(root: string, seed: number, unetConfig: Record<string, unknown>): Promise<void> {
  const rng = new Random(seed);
  const sub = async (name: string) => {
    await mkdir(join(root, name), { recursive: true });
    return join(root, name);
  };
  const model = async (folder: string, m: Model, config: unknown) => {
    const d = await sub(folder);
    saveModel(m, join(d, 'model.onnx'), { externalData: 'never' });
    await writeFile(join(d, 'config.json'), json(config));
  };

  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'model_index.json'), json(SDXL_MODEL_INDEX));
  await writeFile(join(await sub('scheduler'), 'scheduler_config.json'), json(SDXL_SCHEDULER_CONFIG));

  // One learnt vocabulary for both tokenizers, as SDXL's share CLIP's; they differ in the pad token only.
  const words = learnClipVocabulary(TINY_VOCABULARY_WORDS);
  await writeClipTokenizer(await sub('tokenizer'), { ...words, ...CLIP_DEFAULTS });
  await writeClipTokenizer(await sub('tokenizer_2'), { ...words, ...CLIP_DEFAULTS, padToken: '!' });

  const eos = words.vocab.get(CLIP_DEFAULTS.eosToken) ?? 0;
  const bos = words.vocab.get(CLIP_DEFAULTS.bosToken) ?? 0;
  const [te1, te2] = tinyTextEncoderConfigs(words.vocab.size, eos, bos);
  await model(
    'text_encoder',
    buildClipTextModel(
      te1,
      initClipTextParams(te1, rng.fork('text_encoder'), { positionStd: TINY_TEXT_ENCODER_POSITION_STD }),
    ),
    clipConfigJson(te1),
  );
  await model(
    'text_encoder_2',
    buildClipTextModel(te2, summarisingEos(initClipTextParams(te2, rng.fork('text_encoder_2')), eos)),
    clipConfigJson(te2),
  );

  const images = syntheticBatch(VAE_DATA_SEED, TINY_VAE.fitImages, TINY_VAE.fitSize);
  const vae = fitLinearVae(images, TINY_VAE.fitImages, TINY_VAE.fitSize, TINY_VAE);
  await model('vae_encoder', buildVaeEncoder(vae), tinyVaeConfigJson());
  await model('vae_decoder', buildVaeDecoder(vae), tinyVaeConfigJson());

  const spec = parseUNetConfig(unetConfig);
  if (!spec.ok) throw new Error(`the tiny UNet config is refused: ${spec.error.message}`);
  const unet = await sub('unet');
  await writeFile(join(unet, 'config.json'), json(unetConfig));
  await writeSafetensors(
    join(unet, 'diffusion_pytorch_model.safetensors'),
    initUnetParams(spec.value, rng.fork('unet')).map((p) => ({ name: p.name, shape: p.shape, data: p.data })),
    { format: 'pt' },
  );
  // unet/model.onnx completes the Optimum layout; it is built from the diffusers files just written.
  const converted = await convertDiffusersUNet(unet, unet, { producerVersion: 'moe-tiny' });
  if (!converted.ok) throw new Error(`the tiny UNet does not convert: ${converted.error.message}`);
}
