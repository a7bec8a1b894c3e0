// A fake Optimum export for tests: the folder layout with placeholder model files, and a session factory
// that serves metadata (and simple deterministic outputs) per model file, so the contract checks and prompt
// encoding can be tested without ONNX files.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import {
  CLIP_DEFAULTS,
  learnClipVocabulary,
  writeClipTokenizer,
} from '../../../src/models/tokenizer/index.js';
import type { ModelSession, SessionFactory } from '../../../src/models/optimum/index.js';

interface Meta {
  name: string;
  type: string;
  shape: (number | string)[];
}
export interface FakeModel {
  inputs: Meta[];
  outputs: Meta[];
}

const m = (name: string, type: string, shape: (number | string)[]): Meta => ({ name, type, shape });

export function textEncoderMeta(
  hidden: number,
  layers: number,
  pooled: 'text_embeds' | 'pooler_output',
  pooledSize: number,
): FakeModel {
  return {
    inputs: [m('input_ids', 'int64', ['batch_size', 77])],
    outputs: [
      ...(pooled === 'text_embeds' ? [m('text_embeds', 'float32', ['batch_size', pooledSize])] : []),
      m('last_hidden_state', 'float32', ['batch_size', 77, hidden]),
      ...(pooled === 'pooler_output' ? [m('pooler_output', 'float32', ['batch_size', pooledSize])] : []),
      ...Array.from({ length: layers + 1 }, (_, i) =>
        m(`hidden_states.${i}`, 'float32', ['batch_size', 77, hidden]),
      ),
    ],
  };
}

export function defaultModels(): Record<string, FakeModel> {
  return {
    text_encoder: textEncoderMeta(3, 2, 'pooler_output', 3),
    text_encoder_2: textEncoderMeta(5, 3, 'text_embeds', 4),
    unet: {
      inputs: [
        m('sample', 'float32', ['batch', 4, 'h', 'w']),
        m('timestep', 'float32', []),
        m('encoder_hidden_states', 'float32', ['batch', 77, 8]),
        m('text_embeds', 'float32', ['batch', 4]),
        m('time_ids', 'float32', ['batch', 6]),
      ],
      outputs: [m('out_sample', 'float32', ['batch', 4, 'h', 'w'])],
    },
    vae_encoder: {
      inputs: [m('sample', 'float32', ['batch', 3, 'H', 'W'])],
      outputs: [m('latent_parameters', 'float32', ['batch', 8, 'h', 'w'])],
    },
    vae_decoder: {
      inputs: [m('latent_sample', 'float32', ['batch', 4, 'h', 'w'])],
      outputs: [m('sample', 'float32', ['batch', 3, 'H', 'W'])],
    },
  };
}

/** Writes the layout (placeholder model.onnx files) and returns the folder. */
export async function writeFakeExport(models: Record<string, FakeModel>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'moe-optimum-'));
  await writeFile(
    join(root, 'model_index.json'),
    JSON.stringify({ _class_name: 'StableDiffusionXLPipeline', force_zeros_for_empty_prompt: true }),
  );
  await mkdir(join(root, 'scheduler'));
  await writeFile(
    join(root, 'scheduler', 'scheduler_config.json'),
    JSON.stringify({ _class_name: 'EulerDiscreteScheduler' }),
  );
  const words = learnClipVocabulary(['a', 'red', 'circle']);
  await writeClipTokenizer(join(root, 'tokenizer'), { ...words, ...CLIP_DEFAULTS });
  await writeClipTokenizer(join(root, 'tokenizer_2'), { ...words, ...CLIP_DEFAULTS, padToken: '!' });
  for (const dir of Object.keys(models)) {
    await mkdir(join(root, dir), { recursive: true });
    await writeFile(join(root, dir, 'model.onnx'), 'placeholder');
  }
  return root;
}

/**
 * Sessions from metadata. `run` returns, for every float output, a tensor whose values encode
 * (model index, batch row, position, channel) and the row's first input id, so tests can see which model
 * and which row each value came from.
 */
export function fakeSessions(
  root: string,
  models: Record<string, FakeModel>,
  opened: string[] = [],
): SessionFactory {
  return async (path: string): Promise<ModelSession> => {
    const dir = relative(root, path).split('/')[0] ?? '';
    const model = models[dir];
    if (model === undefined) throw new Error(`no fake model for ${path}`);
    opened.push(dir);
    const meta = (list: Meta[]) =>
      list.map((x) => ({ ...x, isTensor: true as const })) as unknown as InferenceSession.ValueMetadata[];
    return {
      inputMetadata: meta(model.inputs),
      outputMetadata: meta(model.outputs),
      async run(feeds) {
        const ids = feeds['input_ids'];
        const batch = ids?.dims[0] ?? 1;
        const tag = dir === 'text_encoder' ? 1 : 2;
        const out: Record<string, Tensor> = {};
        for (const o of model.outputs) {
          const dims = o.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : 1));
          const size = dims.reduce((a, b) => a * b, 1);
          const data = new Float32Array(size);
          const perRow = size / batch;
          for (let i = 0; i < size; i++) {
            const row = Math.floor(i / perRow);
            const firstToken = Number((ids?.data as BigInt64Array | undefined)?.[row * 77 + 1] ?? 0n);
            data[i] = tag * 1000 + row * 100 + firstToken + (i % perRow) / 1e4;
          }
          out[o.name] = new Tensor('float32', data, dims);
        }
        return out as InferenceSession.ReturnType;
      },
      release: () => Promise.resolve(),
    };
  };
}
