/** The CLIP text model's shape, in transformers' CLIPTextConfig vocabulary. */
export interface ClipTextConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly layers: number;
  readonly heads: number;
  readonly maxPositions: number;
  /** CLIP ViT-L uses quick_gelu; OpenCLIP bigG (SDXL's text_encoder_2) uses exact gelu. */
  readonly hiddenAct: 'quick_gelu' | 'gelu';
  readonly layerNormEps: number;
  readonly eosTokenId: number;
  readonly bosTokenId: number;
  readonly padTokenId: number;
  /** CLIPTextModelWithProjection: width of text_embeds. Absent for a plain CLIPTextModel. */
  readonly projectionDim?: number;
}

/** config.json as transformers writes it for the model (what Optimum copies beside model.onnx). */
export function clipConfigJson(c: ClipTextConfig): Record<string, unknown> {
  return {
    _name_or_path: 'moe-tiny',
    architectures: [c.projectionDim === undefined ? 'CLIPTextModel' : 'CLIPTextModelWithProjection'],
    attention_dropout: 0.0,
    bos_token_id: c.bosTokenId,
    dropout: 0.0,
    eos_token_id: c.eosTokenId,
    hidden_act: c.hiddenAct,
    hidden_size: c.hiddenSize,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: c.intermediateSize,
    layer_norm_eps: c.layerNormEps,
    max_position_embeddings: c.maxPositions,
    model_type: 'clip_text_model',
    num_attention_heads: c.heads,
    num_hidden_layers: c.layers,
    pad_token_id: c.padTokenId,
    ...(c.projectionDim === undefined ? {} : { projection_dim: c.projectionDim }),
    torch_dtype: 'float32',
    vocab_size: c.vocabSize,
  };
}
