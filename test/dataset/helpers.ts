// A StepContext for calling a step's run() directly, and fixture images written with sharp.
import sharp from 'sharp';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { StepContext } from '../../src/contract/step.js';
import type { JsonValue } from '../../src/pipeline/types.js';
import { stepContext } from '../steps/context.js';

export interface TestContext {
  readonly ctx: StepContext;
  readonly logs: string[];
  readonly progress: number[];
}

export async function makeContext(pipelineDir: string, withValue: JsonValue): Promise<TestContext> {
  const root = await mkdtemp(join(tmpdir(), 'moe-step-'));
  const dirs = ['out', 'checkpoint', 'cache', 'tmp'].map((d) => join(root, d));
  await Promise.all(dirs.map((d) => mkdir(d)));
  const logs: string[] = [];
  const progress: number[] = [];
  const ctx = stepContext(
    {
      nodeId: 'data',
      with: withValue,
      outDir: dirs[0]!,
      checkpointDir: dirs[1]!,
      sharedCacheDir: dirs[2]!,
      tmpDir: dirs[3]!,
      pipelineDir,
      progress: (u) => {
        if (u.done !== undefined) progress.push(u.done);
      },
    },
    logs,
  );
  return { ctx, logs, progress };
}

/** Writes a solid image whose colour is derived from `tint` (so fixtures differ in pixels). */
export async function writeImage(
  path: string,
  width: number,
  height: number,
  tint: number,
  format: 'png' | 'jpeg' | 'webp' = 'png',
): Promise<Buffer> {
  await mkdir(dirname(path), { recursive: true });
  const img = sharp({
    create: {
      width,
      height,
      channels: 3,
      background: { r: (tint * 53) % 256, g: (tint * 97) % 256, b: (tint * 29) % 256 },
    },
  });
  const bytes = await img.toFormat(format).toBuffer();
  await writeFile(path, bytes);
  return bytes;
}

/** Left half red, right half blue: crops can be checked by colour. */
export async function writeHalves(path: string, width: number, height: number): Promise<void> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(x < width / 2 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  }
  await mkdir(dirname(path), { recursive: true });
  await sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(path);
}
