// The experts as the samplers and the evaluation see them: a UNet given as a diffusers folder (what
// train.expert and SimpleTuner write), a folder with model.onnx, or an .onnx file, run through an ONNX
// session whose input names, types and ranks are read from the session itself (Optimum exports differ).
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { recordKey } from './digest.js';
import type { DigestMemo } from './digest.js';
import { Tensor } from 'onnxruntime-node';
import { convertDiffusersUNet, defaultTimeIds, readUNetConfig } from '../models/unet/index.js';
import type { ModelSession, SessionFactory } from '../models/optimum/index.js';
import { floatTensor, toFloat32 } from '../models/optimum/tensors.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export interface ExpertUnet {
  /** The model.onnx to open. */
  readonly onnx: string;
  /** How many SDXL time ids the UNet takes (6, or 5 for an aesthetic-score refiner). */
  readonly timeIds: number;
}

const isDir = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
const isFile = (p: string) =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/** Where converted UNets are kept across runs, keyed by the digests of the diffusers folder's files. */
export interface ConversionCache {
  readonly dir: string;
  readonly memo: DigestMemo;
  /** When given, counts the conversions this cache served from disk and those it had to build. */
  readonly counts?: ConversionCounts;
}

/** How many UNets a step converted to ONNX and how many it found already converted. */
export interface ConversionCounts {
  converted: number;
  reused: number;
}

/**
 * Converts a diffusers folder to ONNX once: the result is kept under `cache.dir/unet-onnx/<key>/` (built
 * in a temp folder, then renamed, so a half-written conversion is never found). An SDXL UNet takes
 * minutes and gigabytes to convert; evaluation and sampling reruns should not pay that again.
 */
async function convertCached(
  dir: string,
  cache: ConversionCache,
  scratch: string,
): Promise<Result<string, string>> {
  const key = recordKey({ kind: 'unet-onnx', format: 1, unet: await cache.memo.digest(dir) });
  await cache.memo.save();
  const target = join(cache.dir, 'unet-onnx', key);
  if (await isFile(join(target, 'model.onnx'))) {
    if (cache.counts) cache.counts.reused += 1;
    return ok(join(target, 'model.onnx'));
  }
  const converted = await convertDiffusersUNet(dir, scratch);
  if (!converted.ok) return err(converted.error.message);
  if (cache.counts) cache.counts.converted += 1;
  await mkdir(join(cache.dir, 'unet-onnx'), { recursive: true });
  const staging = `${target}.${process.pid}.${randomUUID()}.tmp`;
  await rename(scratch, staging).catch(async () => {
    // A scratch dir on another file system: keep using it for this run and skip the cache.
    await rm(staging, { recursive: true, force: true });
  });
  if (!(await isDir(staging))) return ok(join(scratch, 'model.onnx'));
  try {
    await rename(staging, target);
  } catch {
    // Another run stored the same conversion first; theirs is identical.
    await rm(staging, { recursive: true, force: true });
  }
  return ok(join(target, 'model.onnx'));
}

/**
 * Finds or builds the ONNX model of an expert. A diffusers folder is converted with moe's UNet builder
 * (a diffusers config.json wins over a model.onnx beside it, as in model folders), into `scratch`, or
 * once into `cache` when given.
 */
export async function prepareExpert(
  given: string,
  scratch: string,
  cache?: ConversionCache,
): Promise<Result<ExpertUnet, string>> {
  if (await isDir(given)) {
    if (await isFile(join(given, 'config.json'))) {
      const spec = await readUNetConfig(given);
      if (!spec.ok) return err(spec.error.message);
      const timeIds = defaultTimeIds(spec.value) || 6;
      if (cache) {
        const onnx = await convertCached(given, cache, scratch);
        return onnx.ok ? ok({ onnx: onnx.value, timeIds }) : onnx;
      }
      const converted = await convertDiffusersUNet(given, scratch);
      if (!converted.ok) return err(converted.error.message);
      return ok({ onnx: join(scratch, 'model.onnx'), timeIds });
    }
    if (await isFile(join(given, 'model.onnx'))) return ok({ onnx: join(given, 'model.onnx'), timeIds: 0 });
    return err(`${given}: neither a diffusers UNet folder (config.json) nor a folder with model.onnx`);
  }
  if (given.endsWith('.onnx') && (await isFile(given))) return ok({ onnx: given, timeIds: 0 });
  return err(
    `${given}: no such UNet (expected a diffusers folder, a folder with model.onnx, or an .onnx file)`,
  );
}

/** SDXL conditioning for a batch: what the UNet reads besides the noisy sample and the timestep. */
export interface Conditioning {
  readonly batch: number;
  /** [batch, tokens, width]. */
  readonly hidden: Float32Array;
  readonly tokens: number;
  readonly width: number;
  /** [batch, pooled]. */
  readonly pooled: Float32Array;
  /** [batch, timeIds]. */
  readonly timeIds: Float32Array;
}

/** One open UNet session with feeds built for its declared input types. */
export class UnetRunner {
  private constructor(
    private readonly session: ModelSession,
    readonly timeIdCount: number,
    private readonly types: ReadonlyMap<string, string>,
    private readonly timestepRank: number,
    readonly output: string,
  ) {}

  static async open(factory: SessionFactory, expert: ExpertUnet): Promise<UnetRunner> {
    const session = await factory(expert.onnx);
    const types = new Map<string, string>();
    let timestepRank = 0;
    let timeIds = expert.timeIds;
    for (const m of session.inputMetadata) {
      if (!m.isTensor) continue;
      types.set(m.name, m.type);
      if (m.name === 'timestep') timestepRank = m.shape.length;
      const last = m.shape[m.shape.length - 1];
      if (m.name === 'time_ids' && timeIds === 0) timeIds = typeof last === 'number' ? last : 6;
    }
    const output = session.outputMetadata[0]?.name ?? 'out_sample';
    return new UnetRunner(session, timeIds || 6, types, timestepRank, output);
  }

  private float(name: string, data: Float32Array, dims: readonly number[]): Tensor {
    return floatTensor(this.types.get(name) === 'float16' ? 'float16' : 'float32', data, dims);
  }

  private timestep(t: number, batch: number): Tensor {
    const type = this.types.get('timestep') ?? 'float32';
    const dims = this.timestepRank === 0 ? [] : [batch];
    const n = this.timestepRank === 0 ? 1 : batch;
    if (type === 'int64')
      return new Tensor(
        'int64',
        BigInt64Array.from({ length: n }, () => BigInt(Math.round(t))),
        dims,
      );
    if (type === 'int32')
      return new Tensor(
        'int32',
        Int32Array.from({ length: n }, () => Math.round(t)),
        dims,
      );
    return this.float('timestep', new Float32Array(n).fill(t), dims);
  }

  /** The UNet's prediction for `sample` [batch, C, h, w] at timestep t. */
  async predict(
    sample: Float32Array,
    shape: readonly [number, number, number, number],
    t: number,
    c: Conditioning,
  ): Promise<Float32Array> {
    const [b] = shape;
    const out = await this.session.run(
      {
        sample: this.float('sample', sample, shape),
        timestep: this.timestep(t, b),
        encoder_hidden_states: this.float('encoder_hidden_states', c.hidden, [b, c.tokens, c.width]),
        text_embeds: this.float('text_embeds', c.pooled, [b, c.pooled.length / b]),
        time_ids: this.float('time_ids', c.timeIds, [b, c.timeIds.length / b]),
      },
      [this.output],
    );
    const t0 = out[this.output];
    if (t0 === undefined) throw new Error(`the UNet returned no ${this.output}`);
    return toFloat32(t0.data, `UNet ${this.output}`);
  }
}
