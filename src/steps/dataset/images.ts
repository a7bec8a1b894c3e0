// The dataset.images step: a folder of captioned images → bucketed, cropped RGB PNGs, a manifest for the
// caches and trainers, a held-out split, and a report of every input that was left out and why.
import PQueue from 'p-queue';
import sharp from 'sharp';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from '../../contract/step.js';
import type { JsonValue } from '../../pipeline/types.js';
import type { RgbImage } from '../../imaging/types.js';
import { bucketList, nearestBucket, type Bucket } from './buckets.js';
import { planCrop } from './crop.js';
import { decodeFile } from './decode.js';
import { pixelDigest } from './hash.js';
import { manifestLine, type ManifestItem } from './manifest.js';
import { resolveInside, resolveUserPath } from './paths.js';
import { datasetImagesSchema, readWith, type DatasetImagesWith } from './schema.js';
import { countsAsBad, type Skipped } from './skip.js';
import { manifestSources, sidecarSources, type Candidate, type Sources } from './sources.js';
import { assignSplits } from './split.js';

const OUTPUTS = {
  images: 'images',
  manifest: 'manifest.jsonl',
  report: 'report.json',
  skipped: 'skipped.json',
} as const;
/** How many skips are logged one by one; the rest are counted (all are in skipped.json). */
const LOGGED_SKIPS = 20;
/** Images decoded at once: enough to keep both sharp's threads and the disk busy, few enough to bound memory. */
const IN_FLIGHT = 4;
/**
 * PNG encodes and writes queued at once. They run behind the decoding of the next images (a bounded queue
 * rather than waiting for each batch's writes), so decoding and encoding overlap.
 */
const WRITES_IN_FLIGHT = 4;

/** A user-facing failure of this step: the message is the whole story, no stack trace needed. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

async function loadSources(
  w: DatasetImagesWith,
  pipelineDir: string,
): Promise<{ folder: string; sources: Sources }> {
  const folder = resolveUserPath(pipelineDir, w.path, 'path');
  if (!folder.ok) throw new DatasetError(folder.error);
  const st = await stat(folder.value).catch(() => undefined);
  if (!st?.isDirectory()) throw new DatasetError(`path ${folder.value} does not exist or is not a directory`);
  if (w.manifest === undefined) return { folder: folder.value, sources: await sidecarSources(folder.value) };
  const manifest = resolveInside(folder.value, w.manifest);
  if (!manifest.ok) throw new DatasetError(`manifest: ${manifest.error}`);
  const sources = await manifestSources(folder.value, manifest.value, {
    file: w.fileColumn,
    caption: w.captionColumn,
  });
  if (!sources.ok) throw new DatasetError(sources.error);
  return { folder: folder.value, sources: sources.value };
}

async function writeCropped(
  img: RgbImage,
  bucket: Bucket,
  resized: readonly [number, number],
  topLeft: readonly [number, number],
  path: string,
): Promise<void> {
  const png = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(resized[1], resized[0], { fit: 'fill', kernel: 'lanczos3' })
    .extract({ top: topLeft[0], left: topLeft[1], width: bucket.width, height: bucket.height })
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
  await writeFile(path, png);
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

type Unsplit = Omit<ManifestItem, 'split'>;

/** Decoded, big enough and hashed, or the reason it is not. */
async function prepare(c: Candidate, w: DatasetImagesWith): Promise<{ img: RgbImage; id: string } | Skipped> {
  if (c.caption === '' && !w.allowEmptyCaptions) {
    return {
      source: c.source,
      reason: 'empty_caption',
      detail: 'the caption is blank (allow_empty_captions is off)',
    };
  }
  const decoded = await decodeFile(c.path);
  if (!decoded.ok) return { source: c.source, ...decoded.error };
  const img = decoded.value;
  if (Math.min(img.width, img.height) < w.minSide) {
    return {
      source: c.source,
      reason: 'too_small',
      detail: `${img.width}×${img.height} has a side below min_side ${w.minSide}`,
    };
  }
  return { img, id: pixelDigest(img) };
}

async function run(ctx: StepContext): Promise<StepResult> {
  const w = readWith(ctx.with);
  const { sources } = await loadSources(w, ctx.pipelineDir);
  const buckets = w.buckets
    ? bucketList(w.resolution, w.bucketStep, w.maxAspectRatio)
    : [{ height: w.resolution, width: w.resolution }];
  if (buckets.length === 0) {
    throw new DatasetError(
      `no buckets: bucket_step ${w.bucketStep} is larger than resolution ${w.resolution}`,
    );
  }
  await mkdir(join(ctx.outDir, OUTPUTS.images), { recursive: true });
  const { kept, skipped, bucketCounts, total } = await prepareAll(ctx, w, sources, buckets);

  skipped
    .slice(0, LOGGED_SKIPS)
    .forEach((s) => ctx.log.warn(`skipped ${s.source}: ${s.reason}: ${s.detail}`));
  if (skipped.length > LOGGED_SKIPS)
    ctx.log.warn(`… and ${skipped.length - LOGGED_SKIPS} more skipped (see ${OUTPUTS.skipped})`);
  await writeFile(join(ctx.outDir, OUTPUTS.skipped), JSON.stringify(skipped, null, 2) + '\n');

  const { bad, byReason } = checkUsable(w, kept, skipped, total);
  const items = split(w, kept);
  const evalCount = items.filter((i) => i.split === 'eval').length;
  await writeFile(join(ctx.outDir, OUTPUTS.manifest), items.map((i) => manifestLine(i) + '\n').join(''));
  const summary = {
    inputs: total,
    items: items.length,
    train: items.length - evalCount,
    eval: evalCount,
    skipped: skipped.length,
    bad,
    duplicates: byReason['duplicate'] ?? 0,
    buckets: bucketCounts.size,
  };
  const report = {
    ...summary,
    skipped_by_reason: byReason,
    bucket_counts: Object.fromEntries([...bucketCounts].sort(([a], [b]) => (a < b ? -1 : 1))),
    id: 'sha256 of the decoded RGB pixels (after EXIF orientation and alpha flattening), header "moe-rgb8 WxH"',
  };
  await writeFile(join(ctx.outDir, OUTPUTS.report), JSON.stringify(report, null, 2) + '\n');
  ctx.log.info(
    `${items.length} images (${summary.train} train, ${evalCount} eval) in ${bucketCounts.size} bucket(s); ${skipped.length} skipped`,
  );
  return { summary };
}

interface Prepared {
  readonly kept: Unsplit[];
  readonly skipped: Skipped[];
  readonly bucketCounts: Map<string, number>;
  readonly total: number;
}

/**
 * Decodes the candidates a few at a time, skips bad files and duplicates (in candidate order, so the first
 * file keeps the id whatever the timing), and writes each kept image cropped to its bucket behind the next
 * decodes, in a bounded queue.
 */
async function prepareAll(
  ctx: StepContext,
  w: DatasetImagesWith,
  sources: Sources,
  buckets: readonly Bucket[],
): Promise<Prepared> {
  const skipped: Skipped[] = [...sources.skipped];
  const kept: Unsplit[] = [];
  const firstSource = new Map<string, string>();
  const bucketCounts = new Map<string, number>();
  const total = sources.candidates.length + sources.skipped.length;
  let done = sources.skipped.length;
  const writes = new PQueue({ concurrency: WRITES_IN_FLIGHT });
  let writeFailure: unknown;
  const write = (job: () => Promise<void>): void => {
    writes.add(job).catch((e: unknown) => {
      writeFailure ??= e;
      writes.clear();
    });
  };
  for (let at = 0; at < sources.candidates.length; at += IN_FLIGHT) {
    checkAborted(ctx.signal);
    const chunk = sources.candidates.slice(at, at + IN_FLIGHT);
    ctx.progress({ done, total, message: chunk[0]?.source ?? '' });
    done += chunk.length;
    const prepared = await Promise.all(chunk.map((c) => prepare(c, w)));
    for (const [k, p] of prepared.entries()) {
      const c = chunk[k] as Candidate;
      if ('reason' in p) {
        skipped.push(p);
        continue;
      }
      const { img, id } = p;
      const earlier = firstSource.get(id);
      if (earlier !== undefined) {
        skipped.push({ source: c.source, reason: 'duplicate', detail: `same pixels as ${earlier}` });
        continue;
      }
      firstSource.set(id, c.source);
      const bucket = nearestBucket(img.height, img.width, buckets);
      const plan = planCrop(img.height, img.width, bucket, w.crop, w.seed, id);
      const file = `${OUTPUTS.images}/${id}.png`;
      write(() => writeCropped(img, bucket, plan.resized, plan.cropTopLeft, join(ctx.outDir, file)));
      const key = `${bucket.width}x${bucket.height}`;
      bucketCounts.set(key, (bucketCounts.get(key) ?? 0) + 1);
      kept.push({
        id,
        caption: c.caption,
        file,
        source: c.source,
        original_size: [img.height, img.width],
        crop_top_left: plan.cropTopLeft,
        target_size: [bucket.height, bucket.width],
      });
    }
    // Back-pressure: decoded images wait in the queue only up to a bound, so memory stays bounded.
    await writes.onSizeLessThan(WRITES_IN_FLIGHT);
    if (writeFailure !== undefined) throw writeFailure;
  }
  await writes.onIdle();
  if (writeFailure !== undefined) throw writeFailure;
  ctx.progress({ done: total, total, message: `${kept.length} kept, ${skipped.length} skipped` });
  return { kept, skipped, bucketCounts, total };
}

/** Fails when there were no inputs, too many bad ones, or nothing usable; the bad count and skips by reason. */
function checkUsable(
  w: DatasetImagesWith,
  kept: readonly Unsplit[],
  skipped: readonly Skipped[],
  total: number,
): { bad: number; byReason: Record<string, number> } {
  const bad = skipped.filter(countsAsBad).length;
  const byReason: Record<string, number> = {};
  for (const s of skipped) byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
  const reasons = Object.entries(byReason)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  if (total === 0)
    throw new DatasetError(
      `no images found in ${w.path}${w.manifest === undefined ? ' (with sidecar .txt captions)' : ` (manifest ${w.manifest})`}`,
    );
  if (bad / total > w.maxBadFraction) {
    throw new DatasetError(
      `${bad} of ${total} inputs are unusable (${((100 * bad) / total).toFixed(1)}% > max_bad_fraction ${w.maxBadFraction}): ${reasons}. ` +
        `First: ${skipped
          .filter(countsAsBad)
          .slice(0, 3)
          .map((s) => `${s.source} (${s.reason}: ${s.detail})`)
          .join('; ')}`,
    );
  }
  if (kept.length === 0) throw new DatasetError(`no usable images in ${w.path}: ${reasons}`);
  return { bad, byReason };
}

/** The kept images with their split; fails when the held-out share leaves no training items. */
function split(w: DatasetImagesWith, kept: readonly Unsplit[]): ManifestItem[] {
  if ('count' in w.split && w.split.count >= kept.length) {
    throw new DatasetError(
      `eval_count ${w.split.count} leaves no training items (${kept.length} usable images)`,
    );
  }
  const splits = assignSplits(
    kept.map((k) => k.id),
    w.split,
    w.seed,
  );
  const items: ManifestItem[] = kept.map((k) => ({ ...k, split: splits.get(k.id) ?? 'train' }));
  if (items.every((i) => i.split === 'eval'))
    throw new DatasetError(
      `eval_fraction ${'fraction' in w.split ? w.split.fraction : ''} holds out every item; no training items left`,
    );
  return items;
}

export const datasetImages: StepDefinition = {
  name: 'dataset.images',
  version: '1',
  description:
    'Captioned image folder → bucketed, cropped RGB PNGs + manifest.jsonl with a held-out split; bad files reported and skipped',
  withSchema: datasetImagesSchema,
  outputs: () => OUTPUTS,
  /**
   * The folder counts in the fingerprint when the user names it. An upstream output (the engine passes
   * `<nodes.X.outputs.Y>` placeholders while fingerprinting) is already covered by that node's digest.
   */
  inputs(withValue: JsonValue): readonly string[] {
    const { path } = readWith(withValue);
    if (path === '' || /^<nodes\.[^>]*>$/.test(path) || path.includes('${{')) return [];
    // A relative path that climbs out (`../x`) is listed too: validate reports it at the line.
    return [path];
  },
  run,
};
