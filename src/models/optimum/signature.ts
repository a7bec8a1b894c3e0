/** What moe learns about each model of a folder from its session metadata (or the UNet's config). */

export interface TextEncoderSignature {
  readonly file: string;
  /** int64 in current Optimum, int32 up to Optimum 1.23. */
  readonly inputIdsType: 'int64' | 'int32';
  /** Fixed sequence length, when the model fixes it (77 for CLIP). */
  readonly sequenceLength?: number;
  /** Width of the hidden states, when the model fixes it. */
  readonly hiddenSize?: number;
  /** Number of transformer layers: hidden_states.0 is the embeddings, hidden_states.{layers} the last layer. */
  readonly layers: number;
  /** The output SDXL conditions on: `hidden_states.{layers - 1}`. */
  readonly penultimate: string;
  /** The pooled output: `text_embeds` (projected, text_encoder_2) or `pooler_output`. */
  readonly pooled?: { readonly name: string; readonly size?: number };
  readonly outputType: string;
}

export type UnetSignature =
  | {
      readonly kind: 'onnx';
      readonly file: string;
      readonly timestepType: string;
      /** 0 for a scalar (current Optimum), 1 for a [1] or [B] tensor (older exports). */
      readonly timestepRank: number;
      readonly crossAttentionDim?: number;
      readonly textEmbedsDim?: number;
      readonly timeIdsDim?: number;
    }
  | {
      readonly kind: 'diffusers';
      readonly file: string;
      readonly crossAttentionDim: number;
      readonly textEmbedsDim: number;
      /** 6 for SDXL base and SSD-1B, 5 for the SDXL refiner (aesthetic score). */
      readonly timeIdsDim: number;
      readonly inChannels: number;
    };

export interface VaeSignature {
  readonly encoderFile: string;
  readonly decoderFile: string;
  /** `latent_parameters` (mean ⊕ logvar, current Optimum) or `latent_sample` (a random draw, up to 1.22). */
  readonly encoderOutput: 'latent_parameters' | 'latent_sample';
  readonly latentChannels: number;
  readonly scalingFactor: number;
  /** float32, or float16 for half-precision exports (fed converted; SDXL's VAE is only safe in float32). */
  readonly encoderInputType: 'float32' | 'float16';
  readonly decoderInputType: 'float32' | 'float16';
}

export interface ModelSignature {
  readonly textEncoder: TextEncoderSignature;
  readonly textEncoder2: TextEncoderSignature & {
    readonly pooled: { readonly name: string; readonly size?: number };
  };
  /** The UNet moe uses: the diffusers checkpoint when the folder has one, else unet/model.onnx. */
  readonly unet: UnetSignature;
  /** unet/model.onnx's contract, when the file is there (beside a diffusers checkpoint or alone). */
  readonly unetOnnx?: Extract<UnetSignature, { kind: 'onnx' }>;
  readonly vae: VaeSignature;
}
