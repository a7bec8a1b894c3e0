/**
 * The trained UNet as a diffusers folder (config.json as the input model had it +
 * diffusion_pytorch_model.safetensors in diffusers' names and shapes) and as ONNX built from that folder
 * by moe's own UNet builder, so inference and SimpleTuner-era tools read the same weights.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors } from '../../formats/safetensors.js';
import { convertDiffusersUNet } from '../../models/unet/index.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';

export interface NamedWeights {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export async function writeDiffusersUNet(
  dir: string,
  configText: string,
  weights: readonly NamedWeights[],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), configText);
  await writeSafetensors(
    join(dir, 'diffusion_pytorch_model.safetensors'),
    weights.map((w) => ({ name: w.name, shape: w.shape, data: w.data })),
    { format: 'pt' },
  );
}

/** Builds `onnxDir/model.onnx` from a diffusers folder written by {@link writeDiffusersUNet}. */
export async function writeUNetOnnx(unetDir: string, onnxDir: string): Promise<Result<void, string>> {
  const r = await convertDiffusersUNet(unetDir, onnxDir, { producerVersion: 'moe-train-expert' });
  return r.ok ? ok(undefined) : err(r.error.message);
}
