import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors } from './reader.js';
import type { SafetensorsReader } from './reader.js';
import { openShardedSafetensors } from './sharded.js';
import { safetensorsError } from './errors.js';
import type { SafetensorsError } from './errors.js';
import { err } from '../../util/result.js';
import type { Result } from '../../util/result.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * Opens the weights of a diffusers/transformers model folder: `DIR/STEM.safetensors`, or the sharded
 * `DIR/STEM.safetensors.index.json`. The stem is `diffusion_pytorch_model` for diffusers UNets and VAEs,
 * `model` for transformers text encoders.
 */
export async function openCheckpoint(
  dir: string,
  stem = 'diffusion_pytorch_model',
): Promise<Result<SafetensorsReader, SafetensorsError>> {
  const single = join(dir, `${stem}.safetensors`);
  if (await exists(single)) return openSafetensors(single);
  const index = join(dir, `${stem}.safetensors.index.json`);
  if (await exists(index)) return openShardedSafetensors(index);
  return err(safetensorsError('io', single, `no such file (nor a sharded ${stem}.safetensors.index.json)`));
}
