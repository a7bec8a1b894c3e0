import { err, ok } from '../../util/result.js';
import type { Result } from '../../util/result.js';
import {
  checkTensor,
  checkTensors,
  lastDim,
  TEXT_ENCODER_INPUTS,
  UNET_INPUTS,
  UNET_OUTPUTS,
  VAE_DECODER_INPUTS,
  VAE_DECODER_OUTPUTS,
  VAE_ENCODER_INPUTS,
} from './contract.js';
import type { ContractProblem } from './contract.js';
import { modelFolderError } from './folder.js';
import type { DiffusersUnet, ModelFolder, ModelFolderError } from './folder.js';
import { metadataOf, withSession } from './session.js';
import type { SessionFactory, TensorMetadata } from './session.js';
import type { ModelSignature, TextEncoderSignature, UnetSignature, VaeSignature } from './signature.js';

interface Io {
  readonly inputs: TensorMetadata[];
  readonly outputs: TensorMetadata[];
}

async function readIo(
  factory: SessionFactory,
  file: string,
  problems: ContractProblem[],
): Promise<Io | undefined> {
  try {
    return await withSession(factory, file, async (s) => ({
      inputs: metadataOf(s.inputMetadata),
      outputs: metadataOf(s.outputMetadata),
    }));
  } catch (e) {
    problems.push({
      file,
      message: `onnxruntime cannot load it (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
    });
    return undefined;
  }
}

function textEncoder(
  file: string,
  io: Io,
  needsProjection: boolean,
  problems: ContractProblem[],
): TextEncoderSignature | undefined {
  const before = problems.length;
  problems.push(...checkTensors(file, 'input', io.inputs, TEXT_ENCODER_INPUTS));
  const layers = Math.max(
    -1,
    ...io.outputs.map((o) => /^hidden_states\.(\d+)$/.exec(o.name)).map((m) => (m ? Number(m[1]) : -1)),
  );
  if (layers < 1) {
    problems.push({
      file,
      message: `has no hidden_states.N outputs (its outputs: ${io.outputs.map((o) => o.name).join(', ')}); export with output_hidden_states`,
    });
  }
  const penultimate = `hidden_states.${layers - 1}`;
  const pen = io.outputs.find((o) => o.name === penultimate);
  if (layers >= 1 && pen === undefined) problems.push({ file, message: `has no output "${penultimate}"` });
  if (pen)
    problems.push(
      ...checkTensor(file, 'output', pen, { name: penultimate, types: ['float32', 'float16'], rank: 3 }),
    );
  const pooledName = needsProjection
    ? 'text_embeds'
    : io.outputs.some((o) => o.name === 'pooler_output')
      ? 'pooler_output'
      : undefined;
  const pooled = io.outputs.find((o) => o.name === pooledName);
  if (needsProjection && pooled === undefined) {
    problems.push({
      file,
      message: `has no output "text_embeds" (its outputs: ${io.outputs.map((o) => o.name).join(', ')})`,
    });
  }
  if (pooled)
    problems.push(
      ...checkTensor(file, 'output', pooled, { name: pooled.name, types: ['float32', 'float16'], rank: 2 }),
    );
  if (problems.length > before || pen === undefined) return undefined;
  const ids = io.inputs.find((i) => i.name === 'input_ids');
  const seq = ids?.shape[1];
  const size = lastDim(pooled);
  const hidden = lastDim(pen);
  return {
    file,
    inputIdsType: ids?.type === 'int32' ? 'int32' : 'int64',
    ...(typeof seq === 'number' ? { sequenceLength: seq } : {}),
    ...(hidden !== undefined ? { hiddenSize: hidden } : {}),
    layers,
    penultimate,
    ...(pooled ? { pooled: { name: pooled.name, ...(size !== undefined ? { size } : {}) } } : {}),
    outputType: pen.type ?? 'float32',
  };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);

function diffusersUnet(
  u: DiffusersUnet,
  pooledSize: number | undefined,
  problems: ContractProblem[],
): UnetSignature | undefined {
  const file = `${u.dir}/config.json`;
  const cross = num(u.config['cross_attention_dim']);
  const projection = num(u.config['projection_class_embeddings_input_dim']);
  const timeDim = num(u.config['addition_time_embed_dim']);
  const inChannels = num(u.config['in_channels']);
  if (u.config['addition_embed_type'] !== 'text_time') {
    problems.push({
      file,
      message: `addition_embed_type is ${JSON.stringify(u.config['addition_embed_type'])}, expected "text_time" (an SDXL-family UNet)`,
    });
  }
  if (cross === undefined || projection === undefined || timeDim === undefined || inChannels === undefined) {
    problems.push({
      file,
      message:
        'needs integer cross_attention_dim, projection_class_embeddings_input_dim, addition_time_embed_dim and in_channels',
    });
    return undefined;
  }
  // projection input = pooled text + one sinusoidal embedding per time id.
  const textEmbedsDim = pooledSize ?? projection - 6 * timeDim;
  const ids = (projection - textEmbedsDim) / timeDim;
  if (ids !== 6 && ids !== 5) {
    problems.push({
      file,
      message: `projection_class_embeddings_input_dim ${projection} ≠ text_embeds ${textEmbedsDim} + 6 (or 5) × addition_time_embed_dim ${timeDim}`,
    });
    return undefined;
  }
  return { kind: 'diffusers', file, crossAttentionDim: cross, textEmbedsDim, timeIdsDim: ids, inChannels };
}

function onnxUnet(
  file: string,
  io: Io,
  problems: ContractProblem[],
): Extract<UnetSignature, { kind: 'onnx' }> | undefined {
  const before = problems.length;
  problems.push(...checkTensors(file, 'input', io.inputs, UNET_INPUTS));
  problems.push(...checkTensors(file, 'output', io.outputs, UNET_OUTPUTS));
  if (problems.length > before) return undefined;
  const get = (n: string) => io.inputs.find((i) => i.name === n);
  const timestep = get('timestep');
  const [cross, text, time] = [
    lastDim(get('encoder_hidden_states')),
    lastDim(get('text_embeds')),
    lastDim(get('time_ids')),
  ];
  return {
    kind: 'onnx',
    file,
    timestepType: timestep?.type ?? 'float32',
    timestepRank: timestep?.shape.length ?? 0,
    ...(cross !== undefined ? { crossAttentionDim: cross } : {}),
    ...(text !== undefined ? { textEmbedsDim: text } : {}),
    ...(time !== undefined ? { timeIdsDim: time } : {}),
  };
}

function vae(folder: ModelFolder, enc: Io, dec: Io, problems: ContractProblem[]): VaeSignature | undefined {
  const before = problems.length;
  const encFile = folder.vaeEncoder.path;
  const decFile = folder.vaeDecoder.path;
  problems.push(...checkTensors(encFile, 'input', enc.inputs, VAE_ENCODER_INPUTS));
  problems.push(...checkTensors(decFile, 'input', dec.inputs, VAE_DECODER_INPUTS));
  problems.push(...checkTensors(decFile, 'output', dec.outputs, VAE_DECODER_OUTPUTS));
  const params = enc.outputs.find((o) => o.name === 'latent_parameters');
  const sample = enc.outputs.find((o) => o.name === 'latent_sample');
  const out = params ?? sample;
  if (out === undefined) {
    problems.push({
      file: encFile,
      message: `has no output "latent_parameters" (its outputs: ${enc.outputs.map((o) => o.name).join(', ')})`,
    });
  } else {
    const channels = params ? 8 : 4;
    problems.push(
      ...checkTensor(encFile, 'output', out, {
        name: out.name,
        types: ['float32', 'float16'],
        rank: 4,
        fixed: { 1: channels },
      }),
    );
  }
  if (problems.length > before || out === undefined) return undefined;
  return {
    encoderFile: encFile,
    decoderFile: decFile,
    encoderOutput: params ? 'latent_parameters' : 'latent_sample',
    latentChannels: 4,
    encoderInputType: enc.inputs.find((i) => i.name === 'sample')?.type === 'float16' ? 'float16' : 'float32',
    decoderInputType:
      dec.inputs.find((i) => i.name === 'latent_sample')?.type === 'float16' ? 'float16' : 'float32',
    scalingFactor: folder.vaeScalingFactor,
  };
}

/** The encoders' widths against the UNet's: penultimate widths sum to cross-attention, pooled = text_embeds. */
function fitTogether(
  te1: TextEncoderSignature,
  te2: TextEncoderSignature,
  unet: UnetSignature,
): ContractProblem[] {
  const problems: ContractProblem[] = [];
  const [h1, h2, cross] = [te1.hiddenSize, te2.hiddenSize, unet.crossAttentionDim];
  if (h1 !== undefined && h2 !== undefined && cross !== undefined && h1 + h2 !== cross) {
    problems.push({
      file: unet.file,
      message: `cross-attention width ${cross} ≠ ${h1} (text_encoder) + ${h2} (text_encoder_2)`,
    });
  }
  const [pooled, text] = [te2.pooled?.size, unet.textEmbedsDim];
  if (pooled !== undefined && text !== undefined && pooled !== text) {
    problems.push({
      file: unet.file,
      message: `text_embeds width ${text} ≠ text_encoder_2's text_embeds width ${pooled}`,
    });
  }
  return problems;
}

/**
 * Opens each ONNX model of the folder in turn (one in memory at a time), checks its tensors against the
 * SDXL contract, and checks that the parts fit together: the encoders' penultimate widths sum to the UNet's
 * cross-attention width, and text_encoder_2's pooled width is the UNet's text_embeds width. Every problem
 * is reported at once.
 */
export async function inspectModelFolder(
  folder: ModelFolder,
  factory: SessionFactory,
): Promise<Result<ModelSignature, ModelFolderError>> {
  const problems: ContractProblem[] = [];
  const te1Io = await readIo(factory, folder.textEncoder.path, problems);
  const te2Io = await readIo(factory, folder.textEncoder2.path, problems);
  const encIo = await readIo(factory, folder.vaeEncoder.path, problems);
  const decIo = await readIo(factory, folder.vaeDecoder.path, problems);
  const te1 = te1Io && textEncoder(folder.textEncoder.path, te1Io, false, problems);
  const te2 = te2Io && textEncoder(folder.textEncoder2.path, te2Io, true, problems);
  let unetOnnx: Extract<UnetSignature, { kind: 'onnx' }> | undefined;
  if (folder.unet.onnx) {
    const io = await readIo(factory, folder.unet.onnx.path, problems);
    unetOnnx = io && onnxUnet(folder.unet.onnx.path, io, problems);
  }
  const unet = folder.unet.diffusers
    ? diffusersUnet(folder.unet.diffusers, te2?.pooled?.size, problems)
    : unetOnnx;
  const v = encIo && decIo && vae(folder, encIo, decIo, problems);

  for (const u of new Set([unet, unetOnnx])) {
    if (te1 && te2 && u) problems.push(...fitTogether(te1, te2, u));
  }
  if (problems.length > 0 || !te1 || !te2?.pooled || !unet || !v)
    return err(modelFolderError(folder.root, problems));
  return ok({
    textEncoder: te1,
    textEncoder2: { ...te2, pooled: te2.pooled },
    unet,
    ...(unetOnnx ? { unetOnnx } : {}),
    vae: v,
  });
}
