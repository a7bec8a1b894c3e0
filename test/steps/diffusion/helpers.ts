// Fixtures for the diffusion step tests: the tiny model family, small captioned image sets in
// dataset.images' manifest layout, a StepContext, and a session factory that counts model calls.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { generateTinyFamily } from '../../../src/models/tiny/index.js';
import { sessionFactory } from '../../../src/models/optimum/index.js';
import type { SessionFactory } from '../../../src/models/optimum/index.js';
import { writePng } from '../../../src/imaging/index.js';
import type { StepContext } from '../../../src/contract/step.js';
import { runEmbedsCache } from '../../../src/steps/diffusion/embeds-cache/index.js';
import { stepContext } from '../context.js';

export async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'moe-diffusion-'));
}

export async function tinyModel(root: string, seed = 1): Promise<string> {
  const dir = join(root, `model-${seed}`);
  const r = await generateTinyFamily(dir, { seed });
  if (!r.ok) throw new Error(r.error.message);
  return dir;
}

export interface FixtureItem {
  readonly id: string;
  readonly caption: string;
  readonly split?: 'train' | 'eval';
  /** RGB of the square drawn on a grey background. */
  readonly colour: readonly [number, number, number];
  /** @default grey */
  readonly background?: readonly [number, number, number];
}

/** A centred square of `colour` on `background`, size×size. */
export function squareImage(
  size: number,
  colour: readonly [number, number, number],
  background: readonly [number, number, number] = [128, 128, 128],
): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const inside = x >= size / 4 && x < (3 * size) / 4 && y >= size / 4 && y < (3 * size) / 4;
      for (let c = 0; c < 3; c++)
        data[(y * size + x) * 3 + c] = (inside ? colour[c] : background[c]) as number;
    }
  return { width: size, height: size, data };
}

/** Writes images/<id>.png (size×size) and manifest.jsonl; returns the manifest path. */
export async function writeDataset(dir: string, items: readonly FixtureItem[], size = 32): Promise<string> {
  await mkdir(join(dir, 'images'), { recursive: true });
  const lines: string[] = [];
  for (const it of items) {
    await writePng(join(dir, 'images', `${it.id}.png`), squareImage(size, it.colour, it.background));
    lines.push(
      JSON.stringify({
        id: it.id,
        caption: it.caption,
        file: `images/${it.id}.png`,
        source: `${it.id}.png`,
        original_size: [size, size],
        crop_top_left: [0, 0],
        target_size: [size, size],
        split: it.split ?? 'train',
      }),
    );
  }
  const manifest = join(dir, 'manifest.jsonl');
  await writeFile(manifest, lines.join('\n') + '\n');
  return manifest;
}

export interface Counted {
  readonly factory: SessionFactory;
  /** session.run calls per model folder entry (`text_encoder`, `vae_encoder`, …). */
  readonly runs: Map<string, number>;
}

/** One-thread CPU sessions (bit-reproducible) that count runs per model. */
export function countingSessions(): Counted {
  const runs = new Map<string, number>();
  const inner = sessionFactory({ threads: 1 });
  const factory: SessionFactory = async (path) => {
    const s = await inner(path);
    const name = basename(dirname(path));
    return {
      inputMetadata: s.inputMetadata,
      outputMetadata: s.outputMetadata,
      run: (feeds, outputs) => {
        runs.set(name, (runs.get(name) ?? 0) + 1);
        return s.run(feeds, outputs);
      },
      release: () => s.release(),
    };
  };
  return { factory, runs };
}

const NOT_UNET = new Set(['text_encoder', 'text_encoder_2', 'vae_encoder', 'vae_decoder']);

/** UNet session runs per model file (converted UNets sit in folders named by their digest). */
export function unetRuns(runs: ReadonlyMap<string, number>): number[] {
  return [...runs]
    .filter(([name]) => !NOT_UNET.has(name))
    .map(([, n]) => n)
    .sort((a, b) => a - b);
}

export interface Captured<W> {
  readonly ctx: StepContext<W>;
  readonly logs: string[];
}

export async function makeContext<W>(
  root: string,
  withValue: W,
  shared = join(root, 'shared'),
): Promise<Captured<W>> {
  const out = await mkdtemp(join(root, 'out-'));
  const logs: string[] = [];
  const ctx = stepContext(
    {
      nodeId: 'node',
      with: withValue,
      outDir: out,
      checkpointDir: await mkdtemp(join(root, 'ckpt-')),
      sharedCacheDir: shared,
      tmpDir: await mkdtemp(join(root, 'tmp-')),
      pipelineDir: root,
    },
    logs,
  );
  return { ctx, logs };
}

/** What evaluate's tests start from: two tiny families (base and refiner) and the embedding cache of one
 * training image and two held-out ones. */
export async function evaluateFixture(): Promise<{
  root: string;
  model: string;
  other: string;
  cache: string;
}> {
  const root = await tempRoot();
  const model = await tinyModel(root, 1);
  const other = await tinyModel(root, 2);
  const manifest = await writeDataset(join(root, 'data'), [
    { id: 'a', caption: 'a red square', colour: [220, 40, 40] },
    { id: 'b', caption: 'a blue square', colour: [40, 80, 220], split: 'eval' },
    { id: 'c', caption: 'a green square', colour: [40, 170, 60], split: 'eval' },
  ]);
  const cacheRun = await makeContext(root, { model, manifest });
  await runEmbedsCache(cacheRun.ctx, { sessions: countingSessions().factory });
  return { root, model, other, cache: join(cacheRun.ctx.outDir, 'cache') };
}
