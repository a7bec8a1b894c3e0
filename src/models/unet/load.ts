/**
 * From a diffusers UNet folder (config.json + diffusion_pytorch_model[.safetensors | .safetensors.index.json])
 * to an ONNX model: in memory (`loadDiffusersUNet`) or written as OUT_DIR/model.onnx, with
 * model.onnx_data when the weights pass 2 GB (`convertDiffusersUNet`).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Model } from '../../onnx/ir.js';
import { GraphBuildError } from '../../onnx/graph-builder.js';
import { saveModel } from '../../onnx/save.js';
import type { SavedModel, SaveOptions } from '../../onnx/save.js';
import { openCheckpoint } from '../../formats/safetensors.js';
import type { SafetensorsReader } from '../../formats/safetensors.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { parseUNetConfig } from './config.js';
import type { UNetSpec } from './config.js';
import { buildUNet } from './build.js';
import type { BuildUNetOptions } from './build.js';
import { checkpointWeights } from './weights.js';

export interface UNetError {
  readonly reason: 'config' | 'weights' | 'io';
  readonly message: string;
}

export type LoadUNetOptions = Omit<BuildUNetOptions, 'weights'>;

export interface LoadedUNet {
  readonly model: Model;
  readonly spec: UNetSpec;
  readonly parameters: number;
  /** Closes the checkpoint files; the model's lazy weights cannot be read afterwards. */
  close(): Promise<void>;
}

/** Reads and checks config.json from a diffusers UNet folder. */
export async function readUNetConfig(dir: string): Promise<Result<UNetSpec, UNetError>> {
  const path = join(dir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : e instanceof SyntaxError ? `not JSON (${e.message})` : String(e);
    return err({ reason: 'io', message: `${path}: ${why}` });
  }
  const spec = parseUNetConfig(json);
  if (!spec.ok) return err({ reason: 'config', message: `${path}: ${spec.error.message}` });
  return spec;
}

/**
 * Builds the ONNX graph of a diffusers UNet. Weights stay on disk until the model is encoded; call
 * `close()` afterwards. Every checkpoint tensor must be used by the config's network: leftovers mean the
 * config and the weights disagree, and are reported.
 */
export async function loadDiffusersUNet(
  dir: string,
  options: LoadUNetOptions = {},
): Promise<Result<LoadedUNet, UNetError>> {
  const spec = await readUNetConfig(dir);
  if (!spec.ok) return spec;
  const reader = await openUNetCheckpoint(dir);
  if (!reader.ok) return reader;
  const weights = checkpointWeights(reader.value);
  let model: Model;
  try {
    model = buildUNet(spec.value, { ...options, weights: weights.lookup });
  } catch (e) {
    await reader.value.close();
    if (e instanceof GraphBuildError) return err({ reason: 'weights', message: `${dir}: ${e.message}` });
    throw e;
  }
  const unused = weights.unused();
  if (unused.length > 0) {
    await reader.value.close();
    const shown = unused.slice(0, 5).join(', ');
    return err({
      reason: 'weights',
      message: `${dir}: ${unused.length} checkpoint tensor(s) are not part of the network config.json describes: ${shown}${unused.length > 5 ? ', …' : ''}`,
    });
  }
  const parameters = model.graph.initializers
    .filter((t) => t.role === 'weight')
    .reduce((s, t) => s + t.dims.reduce((a, d) => a * d, 1), 0);
  return ok({ model, spec: spec.value, parameters, close: () => reader.value.close() });
}

/**
 * The weights of a diffusers UNet folder: `diffusion_pytorch_model.safetensors` (or its sharded index),
 * else the `.fp16` variant that diffusers writes with `variant="fp16"` and model hubs often ship alone.
 */
async function openUNetCheckpoint(dir: string): Promise<Result<SafetensorsReader, UNetError>> {
  const main = await openCheckpoint(dir);
  if (main.ok) return main;
  if (main.error.reason !== 'io') return err({ reason: 'weights', message: main.error.message });
  const fp16 = await openCheckpoint(dir, 'diffusion_pytorch_model.fp16');
  if (fp16.ok) return fp16;
  return err({
    reason: 'io',
    message: `${main.error.message}; no diffusion_pytorch_model.fp16.safetensors variant either`,
  });
}

export interface ConvertedUNet extends SavedModel {
  readonly parameters: number;
}

/** Converts a diffusers UNet folder to OUT_DIR/model.onnx (+ model.onnx_data past 2 GB). */
export async function convertDiffusersUNet(
  dir: string,
  outDir: string,
  options: LoadUNetOptions & { readonly save?: SaveOptions } = {},
): Promise<Result<ConvertedUNet, UNetError>> {
  const { save, ...buildOptions } = options;
  const loaded = await loadDiffusersUNet(dir, buildOptions);
  if (!loaded.ok) return loaded;
  try {
    await mkdir(outDir, { recursive: true });
    const saved = saveModel(loaded.value.model, join(outDir, 'model.onnx'), save);
    return ok({ ...saved, parameters: loaded.value.parameters });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined)
      return err({
        reason: 'io',
        message: `${outDir}: cannot write the model (${code}: ${(e as Error).message})`,
      });
    throw e;
  } finally {
    await loaded.value.close();
  }
}
