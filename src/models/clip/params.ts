import { normalArray } from '../math/random.js';
import type { Random } from '../math/random.js';
import type { ClipTextConfig } from './config.js';

export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface ClipInitOptions {
  /**
   * Standard deviation of the position embeddings. @default 0.1. CLIP initialises tokens and positions
   * alike (0.02 each); at 1, the tokens' scale here, a word's state depends on its place in the prompt as
   * much as on the word, so a frozen random encoder tells "a blue square on a green background" from
   * "a green square on a blue background". At 0.1 the two differ only in the colour slots' words.
   */
  readonly positionStd?: number;
}

/**
 * The parameters of transformers' CLIPTextModel (WithProjection), under its state-dict names, initialised
 * as CLIPPreTrainedModel._init_weights does (normal projections scaled by width and depth, zero biases,
 * unit layer norms), except the embeddings: N(0, 1) tokens and N(0, `positionStd`) positions instead of
 * 0.02, so that a randomly initialised encoder's hidden states have the unit scale a trained CLIP's have
 * and different prompts give clearly different conditioning. Each tensor draws from its own forked generator.
 */
export function initClipTextParams(
  c: ClipTextConfig,
  rng: Random,
  options: ClipInitOptions = {},
): NamedTensor[] {
  const d = c.hiddenSize;
  const out: NamedTensor[] = [];
  const normal = (name: string, shape: number[], std: number) =>
    out.push({
      name,
      shape,
      data: normalArray(
        rng.fork(name),
        shape.reduce((a, b) => a * b, 1),
        std,
      ),
    });
  const fill = (name: string, shape: number[], v: number) =>
    out.push({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
  const inStd = d ** -0.5 * (2 * c.layers) ** -0.5;
  const outStd = d ** -0.5;
  const fcStd = (2 * d) ** -0.5;

  normal('text_model.embeddings.token_embedding.weight', [c.vocabSize, d], 1);
  normal('text_model.embeddings.position_embedding.weight', [c.maxPositions, d], options.positionStd ?? 0.1);
  for (let l = 0; l < c.layers; l++) {
    const p = `text_model.encoder.layers.${l}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      normal(`${p}.self_attn.${proj}.weight`, [d, d], proj === 'out_proj' ? outStd : inStd);
      fill(`${p}.self_attn.${proj}.bias`, [d], 0);
    }
    fill(`${p}.layer_norm1.weight`, [d], 1);
    fill(`${p}.layer_norm1.bias`, [d], 0);
    normal(`${p}.mlp.fc1.weight`, [c.intermediateSize, d], fcStd);
    fill(`${p}.mlp.fc1.bias`, [c.intermediateSize], 0);
    normal(`${p}.mlp.fc2.weight`, [d, c.intermediateSize], inStd);
    fill(`${p}.mlp.fc2.bias`, [d], 0);
    fill(`${p}.layer_norm2.weight`, [d], 1);
    fill(`${p}.layer_norm2.bias`, [d], 0);
  }
  fill('text_model.final_layer_norm.weight', [d], 1);
  fill('text_model.final_layer_norm.bias', [d], 0);
  if (c.projectionDim !== undefined) normal('text_projection.weight', [c.projectionDim, d], d ** -0.5);
  return out;
}
