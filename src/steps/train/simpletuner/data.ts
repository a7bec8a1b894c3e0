// What SimpleTuner reads, prepared once and shared by both experts: a folder of images with `.txt` captions
// (from dataset.images' manifest: the train split, and the eval split for the validation loss), and where its text-embed and VAE caches live. Its
// caches are keyed by caption text and file name only, so the folders are keyed here by what produces
// them: the model's encoders, the images and the resolution.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { readDatasetManifest } from '../../dataset/index.js';
import type { Result } from '../../../util/result.js';
import { err, ok } from '../../../util/result.js';

export interface PreparedData {
  /** The folder SimpleTuner's image backend reads (instance_data_dir). */
  readonly dataDir: string;
  readonly images: number;
  /** Identifies the data: equal for equal images and captions. */
  readonly digest: string;
  /** True when an earlier node or run had already prepared this folder. */
  readonly reused: boolean;
}

export interface SharedCaches {
  readonly cacheDir: string;
  readonly cacheDirVae: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A manifest (file) becomes a folder of hard links (copies across file systems) plus captions under
 * `root/data-<digest>`, built in a temporary folder and renamed into place, so a half-built one never
 * counts. A folder is used as it is: SimpleTuner reads the captions beside its images.
 */
export async function prepareImages(
  images: string,
  root: string,
  split: 'train' | 'eval' = 'train',
): Promise<Result<PreparedData, string>> {
  const st = statSync(images, { throwIfNoEntry: false });
  if (!st) return err(`images: ${images} does not exist`);
  if (st.isDirectory() && split === 'eval') {
    return err(
      `validation.loss_every: images ${images} is a folder, which holds no held-out images; give dataset.images' manifest (its eval split)`,
    );
  }
  if (st.isDirectory()) {
    const count = countImages(images);
    if (count === 0) return err(`images: the folder ${images} holds no images with .txt captions`);
    return ok({ dataDir: images, images: count, digest: folderDigest(images), reused: true });
  }
  const manifest = await readDatasetManifest(images);
  if (!manifest.ok) return err(`images: ${manifest.error}`);
  const chosen = manifest.value.items
    .map((item, i) => ({ item, file: manifest.value.files[i] ?? '' }))
    .filter((x) => x.item.split === split);
  if (chosen.length === 0) {
    return err(
      split === 'train'
        ? `images: the manifest ${images} has no items in the train split`
        : `validation.loss_every: the manifest ${images} has no held-out items (dataset.images' eval_fraction or eval_count)`,
    );
  }
  const digest = sha256(await readFile(images, 'utf8')).slice(0, 32);
  const dataDir = join(root, `data-${digest}${split === 'train' ? '' : '-eval'}`);
  if (existsSync(dataDir)) return ok({ dataDir, images: chosen.length, digest, reused: true });
  const building = `${dataDir}.${randomUUID()}.tmp`;
  await mkdir(building, { recursive: true });
  try {
    for (const { item, file } of chosen) {
      const target = join(building, `${item.id}${extname(file) || '.png'}`);
      await link(file, target).catch(() => copyFile(file, target));
      await writeFile(join(building, `${item.id}.txt`), item.caption);
    }
    await rename(building, dataDir).catch(async (e: NodeJS.ErrnoException) => {
      // Another node prepared the same data meanwhile: theirs is as good.
      if (!existsSync(dataDir)) throw e;
      await rm(building, { recursive: true, force: true });
    });
  } catch (e) {
    await rm(building, { recursive: true, force: true });
    return err(`images: cannot prepare SimpleTuner's image folder: ${(e as Error).message}`);
  }
  return ok({ dataDir, images: chosen.length, digest, reused: false });
}

/**
 * The text-embed and VAE cache folders for this model, data and resolution, identical for both experts.
 * A local model is identified by its files other than the UNet (which training changes and the caches do
 * not depend on): name, size and modification time, so a model replaced in place gets fresh caches.
 */
export function sharedCaches(
  root: string,
  model: string,
  data: PreparedData,
  resolution: number,
): SharedCaches {
  const key = sha256(JSON.stringify({ model: modelIdentity(model), data: data.digest, resolution })).slice(
    0,
    32,
  );
  const dir = join(root, `caches-${key}`);
  return { cacheDir: join(dir, 'text'), cacheDirVae: join(dir, 'vae') };
}

function modelIdentity(model: string): string {
  const st = statSync(model, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return `hub:${model}`;
  const files = walk(model).filter((f) => !relative(model, f).startsWith('unet'));
  return files
    .map((f) => {
      const s = statSync(f);
      return `${relative(model, f)}\t${s.size}\t${Math.floor(s.mtimeMs)}`;
    })
    .join('\n');
}

function folderDigest(dir: string): string {
  const lines = walk(dir).map((f) => {
    const s = statSync(f);
    return `${relative(dir, f)}\t${s.size}\t${Math.floor(s.mtimeMs)}`;
  });
  return sha256(lines.join('\n')).slice(0, 32);
}

const IMAGE = /\.(png|jpe?g|webp|bmp|tiff?)$/i;

function countImages(dir: string): number {
  const files = new Set(walk(dir));
  let n = 0;
  for (const f of files) if (IMAGE.test(f) && files.has(f.replace(IMAGE, '.txt'))) n += 1;
  return n;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
