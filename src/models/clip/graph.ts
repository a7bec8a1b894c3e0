import { Builder, attr } from '../../onnx/index.js';
import type { Model, Value } from '../../onnx/index.js';
import type { ClipTextConfig } from './config.js';
import type { NamedTensor } from './params.js';

/**
 * Builds transformers' CLIPTextModel (or CLIPTextModelWithProjection) as an ONNX graph with the inputs and
 * outputs of an Optimum export: input_ids int64 [batch_size, 77] → last_hidden_state, pooler_output (or
 * text_embeds), hidden_states.0 … hidden_states.{layers}. Pre-LayerNorm transformer with a causal mask;
 * the pooled output is the final-normed state at the first occurrence of the largest token id (the eos
 * token, whose id is the largest in CLIP's vocabulary), as CLIP's legacy pooling does.
 */
export function buildClipTextModel(c: ClipTextConfig, params: readonly NamedTensor[]): Model {
  const byName = new Map(params.map((p) => [p.name, p]));
  const b = new Builder({
    name: c.projectionDim === undefined ? 'text_encoder' : 'text_encoder_2',
    weights: (name) => {
      const p = byName.get(name);
      return p && { dtype: 'float32', dims: p.shape, data: { kind: 'inline', array: p.data } };
    },
  });
  const seq = c.maxPositions;
  const d = c.hiddenSize;
  const ids = b.input('input_ids', 'int64', ['batch_size', seq]);

  const hidden: Value[] = [];
  let x = b.scope('text_model', () =>
    b.scope('embeddings', () => {
      const tokens = b.scope('token_embedding', () =>
        b.gather(b.param('weight', [c.vocabSize, d]), ids, 0, 'gather'),
      );
      const positions = b.scope('position_embedding', () => b.param('weight', [seq, d]));
      return b.add(tokens, positions, 'add');
    }),
  );
  hidden.push(x);

  const layers = new ClipLayers(b, c);
  for (let l = 0; l < c.layers; l++) {
    const input = x;
    x = b.scope('text_model', () =>
      b.scope('encoder', () => b.scope('layers', () => b.scope(l, () => layers.layer(input)))),
    );
    hidden.push(x);
  }
  const last = b.scope('text_model', () => layers.norm(x, 'final_layer_norm'));

  // Pooling: one-hot of the eos position, then a batched MatMul picks that row: [B,1,S]·[B,S,D] → [B,D].
  const pooled = b.scope('pooler', () => {
    const eos = b.op('ArgMax', [ids], { axis: attr.int(1), keepdims: attr.int(1) }, 'eos_position');
    const positions = b.constant(
      BigInt64Array.from({ length: seq }, (_, i) => BigInt(i)),
      { dims: [1, seq], name: 'positions' },
    );
    const onehot = b.cast(b.op('Equal', [positions, eos], {}, 'is_eos'), 'float32', 'onehot');
    const picked = b.matmul(b.unsqueeze(onehot, [1], 'onehot_row'), last, 'pick');
    return b.reshape(picked, [-1, d], 'pooled');
  });

  if (c.projectionDim === undefined) {
    b.output(last, 'last_hidden_state');
    b.output(pooled, 'pooler_output');
  } else {
    const proj = c.projectionDim;
    const textEmbeds = b.scope('text_projection', () =>
      b.matmul(pooled, b.transpose(b.param('weight', [proj, d]), [1, 0], 'weight_t'), 'matmul'),
    );
    b.output(textEmbeds, 'text_embeds');
    b.output(last, 'last_hidden_state');
  }
  hidden.forEach((h, i) => b.output(h, `hidden_states.${i}`));
  return b.build();
}

/** One pre-LayerNorm transformer layer's parts, built into `b` under the current scope. */
class ClipLayers {
  readonly seq: number;
  readonly d: number;
  readonly headDim: number;
  /** Position i attends to positions ≤ i. A large negative rather than -inf keeps Softmax finite. */
  readonly causal: Value;

  constructor(
    private readonly b: Builder,
    private readonly c: ClipTextConfig,
  ) {
    this.seq = c.maxPositions;
    this.d = c.hiddenSize;
    this.headDim = this.d / c.heads;
    const seq = this.seq;
    const mask = new Float32Array(seq * seq);
    for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) mask[i * seq + j] = -1e9;
    this.causal = b.constant(mask, { dims: [1, 1, seq, seq], name: 'causal_mask' });
  }

  linear(input: Value, name: string, outDim: number, inDim: number): Value {
    const b = this.b;
    return b.scope(name, () =>
      b.linear(input, b.param('weight', [outDim, inDim]), b.param('bias', [outDim]), 'linear'),
    );
  }

  norm(input: Value, name: string): Value {
    const { b, d } = this;
    return b.scope(name, () =>
      b.layerNorm(input, b.param('weight', [d]), b.param('bias', [d]), this.c.layerNormEps, -1, 'norm'),
    );
  }

  heads(v: Value, name: string): Value {
    const b = this.b;
    const split = b.reshape(v, [0, this.seq, this.c.heads, this.headDim], `${name}.split`);
    return b.transpose(split, [0, 2, 1, 3], `${name}.heads`);
  }

  attention(h: Value): Value {
    const { b, d, headDim } = this;
    const q = this.heads(b.scale(this.linear(h, 'q_proj', d, d), headDim ** -0.5, 'q_scaled'), 'q');
    const k = this.heads(this.linear(h, 'k_proj', d, d), 'k');
    const v = this.heads(this.linear(h, 'v_proj', d, d), 'v');
    const scores = b.add(b.matmul(q, b.transpose(k, [0, 1, 3, 2], 'k_t'), 'scores'), this.causal, 'masked');
    const ctx = b.matmul(b.softmax(scores, -1, 'probs'), v, 'context');
    const merged = b.reshape(b.transpose(ctx, [0, 2, 1, 3], 'merge'), [0, this.seq, d], 'merged');
    return this.linear(merged, 'out_proj', d, d);
  }

  mlp(normed: Value): Value {
    const { b, c, d } = this;
    const up = this.linear(normed, 'fc1', c.intermediateSize, d);
    const act =
      c.hiddenAct === 'gelu'
        ? b.gelu(up, 'act')
        : b.mul(up, b.sigmoid(b.scale(up, 1.702, 'act.scaled'), 'act.sigmoid'), 'act');
    return this.linear(act, 'fc2', d, c.intermediateSize);
  }

  layer(x: Value): Value {
    const b = this.b;
    const h = this.norm(x, 'layer_norm1');
    const attn = b.scope('self_attn', () => this.attention(h));
    const afterAttn = b.add(x, attn, 'residual1');
    const normed = this.norm(afterAttn, 'layer_norm2');
    const mlp = b.scope('mlp', () => this.mlp(normed));
    return b.add(afterAttn, mlp, 'residual2');
  }
}
