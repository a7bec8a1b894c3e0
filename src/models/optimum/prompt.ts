import { Tensor } from 'onnxruntime-node';
import type { ClipTokenizer } from '../tokenizer/index.js';
import { concatLastAxis, toFloat32 } from './tensors.js';
import { withSession } from './session.js';
import type { OpenedModelFolder } from './open.js';
import type { TextEncoderSignature } from './signature.js';

/** SDXL's text conditioning for a batch of prompts. */
export interface PromptEmbeddings {
  readonly batch: number;
  readonly sequenceLength: number;
  /** [batch, sequenceLength, hiddenSize]: penultimate states of text_encoder ⊕ text_encoder_2. */
  readonly encoderHiddenStates: Float32Array;
  readonly hiddenSize: number;
  /** [batch, pooledSize]: text_encoder_2's projected pooled output (the UNet's text_embeds). */
  readonly textEmbeds: Float32Array;
  readonly pooledSize: number;
  /** Per prompt: true when either tokenizer dropped tokens past 77 (diffusers warns about it). */
  readonly truncated: readonly boolean[];
}

export interface EncodePromptOptions {
  /**
   * Negative prompts: with the folder's force_zeros_for_empty_prompt (SDXL base), an absent or empty
   * negative prompt gives all-zero embeddings instead of the encoding of "". diffusers zeros only an absent
   * one; moe treats "" the same, since a pipeline file cannot tell the two apart.
   */
  readonly negative?: boolean;
  /** SDXL's prompt_2 for the second encoder; defaults to the prompts themselves. */
  readonly prompts2?: readonly (string | undefined)[];
}

interface EncoderRun {
  readonly hidden: Float32Array;
  readonly width: number;
  readonly pooled?: Float32Array;
  readonly pooledWidth?: number;
  readonly truncated: boolean[];
}

async function runEncoder(
  model: OpenedModelFolder,
  sig: TextEncoderSignature,
  tokenizer: ClipTokenizer,
  prompts: readonly string[],
): Promise<EncoderRun> {
  const length = sig.sequenceLength ?? tokenizer.maxLength;
  const encodings = prompts.map((p) => tokenizer.encode(p, { maxLength: length }));
  const ids = encodings.flatMap((e) => e.ids);
  const truncated = encodings.map((e) => e.truncated);
  const data =
    sig.inputIdsType === 'int32' ? Int32Array.from(ids) : BigInt64Array.from(ids, (i) => BigInt(i));
  const wanted = [sig.penultimate, ...(sig.pooled ? [sig.pooled.name] : [])];
  return withSession(model.sessions, sig.file, async (session) => {
    const out = await session.run(
      { input_ids: new Tensor(sig.inputIdsType, data, [prompts.length, length]) },
      wanted,
    );
    const hiddenT = out[sig.penultimate];
    if (hiddenT === undefined) throw new Error(`${sig.file}: no ${sig.penultimate} in the outputs`);
    const hidden = toFloat32(hiddenT.data, `${sig.file} ${sig.penultimate}`);
    const width = hidden.length / (prompts.length * length);
    const pooledT = sig.pooled ? out[sig.pooled.name] : undefined;
    if (pooledT === undefined) return { hidden, width, truncated };
    const pooled = toFloat32(pooledT.data, `${sig.file} ${sig.pooled?.name}`);
    return { hidden, width, pooled, pooledWidth: pooled.length / prompts.length, truncated };
  });
}

/**
 * Encodes prompts as diffusers' StableDiffusionXLPipeline.encode_prompt does: each tokenizer pads to 77
 * with its own pad token and truncates; each encoder's penultimate hidden states (hidden_states[-2]) are
 * concatenated on the last axis; the pooled embedding is text_encoder_2's text_embeds. The two encoders run
 * one after the other, each released before the next loads.
 */
export async function encodePrompts(
  model: OpenedModelFolder,
  prompts: readonly (string | undefined)[],
  options: EncodePromptOptions = {},
): Promise<PromptEmbeddings> {
  const zero = prompts.map(
    (p) => (options.negative ?? false) && model.folder.forceZerosForEmptyPrompt && (p ?? '') === '',
  );
  const texts = prompts.map((p) => p ?? '');
  const texts2 = texts.map((p, i) => options.prompts2?.[i] ?? p);
  const { textEncoder, textEncoder2 } = model.signature;
  const a = await runEncoder(model, textEncoder, model.tokenizer, texts);
  const b = await runEncoder(model, textEncoder2, model.tokenizer2, texts2);
  if (b.pooled === undefined || b.pooledWidth === undefined)
    throw new Error(`${textEncoder2.file}: no pooled output`);
  const sequenceLength = a.hidden.length / (prompts.length * a.width);
  const encoderHiddenStates = concatLastAxis(a.hidden, a.width, b.hidden, b.width);
  const textEmbeds = Float32Array.from(b.pooled);
  const hiddenSize = a.width + b.width;
  const pooledSize = b.pooledWidth;
  zero.forEach((z, i) => {
    if (!z) return;
    encoderHiddenStates.fill(0, i * sequenceLength * hiddenSize, (i + 1) * sequenceLength * hiddenSize);
    textEmbeds.fill(0, i * pooledSize, (i + 1) * pooledSize);
  });
  const truncated = a.truncated.map((t, i) => t || (b.truncated[i] ?? false));
  return {
    batch: prompts.length,
    sequenceLength,
    encoderHiddenStates,
    hiddenSize,
    textEmbeds,
    pooledSize,
    truncated,
  };
}
