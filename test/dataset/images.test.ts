import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { datasetImages } from '../../src/steps/dataset/images.js';
import { readDatasetManifest, timeIds, type ManifestItem } from '../../src/steps/dataset/manifest.js';
import type { Skipped } from '../../src/steps/dataset/skip.js';
import { readRgb } from '../../src/imaging/png.js';
import { makeContext, writeHalves, writeImage } from './helpers.js';
import { tempFolder } from '../temp.js';

/** A folder with 3 good images, 4 broken ones and one without caption (8 inputs, 5 bad). */
async function messyFolder(t: TestContext): Promise<string> {
  const dir = tempFolder(t, 'moe-ds-');
  const data = join(dir, 'data');
  const caption = (name: string, text: string) => writeFile(join(data, name), text);
  await writeImage(join(data, 'a.png'), 100, 80, 1);
  await caption('a.txt', 'a red square\n');
  await writeImage(join(data, 'b.jpg'), 64, 64, 2, 'jpeg');
  await caption('b.txt', 'photo b');
  await writeImage(join(data, 'sub/c.webp'), 120, 60, 3, 'webp');
  await writeFile(join(data, 'sub/c.txt'), 'wide c');
  const good = await writeImage(join(data, 'trunc.png'), 90, 90, 4);
  await writeFile(join(data, 'trunc.png'), good.subarray(0, Math.floor(good.length * 0.6)));
  await caption('trunc.txt', 'truncated');
  await writeFile(
    join(data, 'rand.png'),
    Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7919 + 13) % 256)),
  );
  await caption('rand.txt', 'noise');
  await writeFile(join(data, 'text.jpg'), 'this is not a jpeg\n');
  await caption('text.txt', 'text');
  await writeImage(join(data, 'small.png'), 10, 10, 5);
  await caption('small.txt', 'tiny');
  await writeImage(join(data, 'nocap.png'), 70, 70, 6);
  return dir;
}

async function manifestOf(outDir: string): Promise<ManifestItem[]> {
  const m = await readDatasetManifest(join(outDir, 'manifest.jsonl'));
  assert.ok(m.ok, m.ok ? '' : m.error);
  return [...m.value.items];
}

test('good images are kept, broken ones skipped with the right reasons', async (t) => {
  const dir = await messyFolder(t);
  const { ctx, logs } = await makeContext(dir, {
    path: 'data',
    resolution: 64,
    max_bad_fraction: 0.9,
    eval_count: 1,
  });
  const result = await datasetImages.run(ctx);
  const items = await manifestOf(ctx.outDir);
  assert.deepEqual(items.map((i) => i.source).sort(), ['a.png', 'b.jpg', 'sub/c.webp']);
  assert.equal(items.find((i) => i.source === 'a.png')?.caption, 'a red square');
  const skipped = JSON.parse(await readFile(join(ctx.outDir, 'skipped.json'), 'utf8')) as Skipped[];
  const reasons = Object.fromEntries(skipped.map((s) => [s.source, s.reason]));
  assert.deepEqual(reasons, {
    'nocap.png': 'missing_caption',
    'rand.png': 'not_an_image',
    'small.png': 'too_small',
    'text.jpg': 'not_an_image',
    'trunc.png': 'corrupt',
  });
  assert.match(skipped.find((s) => s.source === 'small.png')!.detail, /10×10.*min_side 32/);
  assert.deepEqual(result?.summary, {
    inputs: 8,
    items: 3,
    train: 2,
    eval: 1,
    skipped: 5,
    bad: 5,
    duplicates: 0,
    buckets: 3,
  });
  assert.ok(logs.some((l) => l.startsWith('warn skipped trunc.png: corrupt')));
  // every written image is an RGB PNG of its target size, named by its id
  const files = await readdir(join(ctx.outDir, 'images'));
  assert.deepEqual(files.sort(), items.map((i) => `${i.id}.png`).sort());
  for (const item of items) {
    const meta = await sharp(join(ctx.outDir, item.file)).metadata();
    assert.deepEqual([meta.height, meta.width, meta.channels, meta.format], [...item.target_size, 3, 'png']);
    assert.match(item.id, /^[0-9a-f]{64}$/);
  }
  const report = JSON.parse(await readFile(join(ctx.outDir, 'report.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  assert.deepEqual(report['skipped_by_reason'], {
    missing_caption: 1,
    not_an_image: 2,
    corrupt: 1,
    too_small: 1,
  });
});

test('too many bad inputs fail the node with a clear message', async (t) => {
  const dir = await messyFolder(t);
  const { ctx } = await makeContext(dir, { path: 'data', resolution: 64, max_bad_fraction: 0.5 });
  await assert.rejects(datasetImages.run(ctx), (e: Error) => {
    assert.match(e.message, /^5 of 8 inputs are unusable \(62\.5% > max_bad_fraction 0\.5\)/);
    assert.match(e.message, /2 not_an_image/);
    return true;
  });
});

test('a 200×100 image is resized to cover its bucket and cropped at the recorded corner', async (t) => {
  const dir = tempFolder(t, 'moe-ds-');
  await writeHalves(join(dir, 'data/halves.png'), 200, 100);
  await writeFile(join(dir, 'data/halves.txt'), 'red and blue');
  // square target: resized to 128×64, the centre 64×64 cut at left 32 → left half red, right half blue
  const square = await makeContext(dir, {
    path: 'data',
    resolution: 64,
    buckets: false,
    eval_fraction: 0,
  });
  await datasetImages.run(square.ctx);
  const [item] = await manifestOf(square.ctx.outDir);
  assert.deepEqual(
    [item!.original_size, item!.crop_top_left, item!.target_size],
    [
      [100, 200],
      [0, 32],
      [64, 64],
    ],
  );
  assert.deepEqual(timeIds(item!), [100, 200, 0, 32, 64, 64]);
  const img = await readRgb(join(square.ctx.outDir, item!.file));
  const px = (x: number, y: number) => Array.from(img.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
  assert.deepEqual(px(5, 30), [255, 0, 0]);
  assert.deepEqual(px(58, 30), [0, 0, 255]);
  // buckets (step 8): 2:1 goes to 88×40 (aspect 2.2); scale 0.44 → 88×44, centre crop top 2
  const bucketed = await makeContext(dir, { path: 'data', resolution: 64, eval_fraction: 0 });
  await datasetImages.run(bucketed.ctx);
  const [b] = await manifestOf(bucketed.ctx.outDir);
  assert.deepEqual(
    [b!.crop_top_left, b!.target_size],
    [
      [2, 0],
      [40, 88],
    ],
  );
  assert.equal(b!.id, item!.id, 'the id depends on the source pixels only');
});

test('random crops are seeded: same seed same corners, inside the resized image', async (t) => {
  const dir = tempFolder(t, 'moe-ds-');
  for (let i = 0; i < 6; i++) {
    await writeImage(join(dir, `d/${i}.png`), 150 + i * 7, 50 + i, i + 1);
    await writeFile(join(dir, `d/${i}.txt`), `item ${i}`);
  }
  const corners = async (seed: number) => {
    const { ctx } = await makeContext(dir, {
      path: 'd',
      resolution: 48,
      buckets: false,
      crop: 'random',
      seed,
      eval_fraction: 0,
    });
    await datasetImages.run(ctx);
    return (await manifestOf(ctx.outDir)).map((i) => {
      const [h, w] = i.original_size;
      const scale = 48 / Math.min(h, w);
      assert.equal(i.crop_top_left[0], 0);
      assert.ok(i.crop_top_left[1] >= 0 && i.crop_top_left[1] <= Math.round(w * scale) - 48);
      return i.crop_top_left[1];
    });
  };
  const a = await corners(7);
  assert.deepEqual(await corners(7), a);
  assert.notDeepEqual(await corners(8), a);
});

test('a rerun writes identical bytes; duplicates are kept once and do not count as bad', async (t) => {
  const dir = tempFolder(t, 'moe-ds-');
  for (let i = 0; i < 12; i++) {
    await writeImage(join(dir, `d/${i}.png`), 40, 40, i + 1);
    await writeFile(join(dir, `d/${i}.txt`), `item ${i}`);
  }
  await writeImage(join(dir, 'd/copy.jpg'), 40, 40, 1, 'png'); // same pixels as 0.png, other name and extension
  await writeFile(join(dir, 'd/copy.txt'), 'copy');
  const runOnce = async () => {
    const { ctx } = await makeContext(dir, {
      path: 'd',
      resolution: 32,
      eval_fraction: 0.3,
      max_bad_fraction: 0,
    });
    const r = await datasetImages.run(ctx);
    return { manifest: await readFile(join(ctx.outDir, 'manifest.jsonl'), 'utf8'), summary: r?.summary };
  };
  const first = await runOnce();
  assert.equal((await runOnce()).manifest, first.manifest);
  assert.equal(first.summary?.['duplicates'], 1);
  assert.equal(first.summary?.['items'], 12);
  assert.ok((first.summary?.['eval'] as number) > 0 && (first.summary?.['train'] as number) > 0);
});

test('paths that leave the pipeline directory or the data folder are rejected', async (t) => {
  const dir = tempFolder(t, 'moe-ds-');
  await writeImage(join(dir, 'd/a.png'), 40, 40, 1);
  await writeFile(join(dir, 'd/a.txt'), 'a');
  const up = await makeContext(join(dir, 'd'), { path: '../..', resolution: 32 });
  await assert.rejects(datasetImages.run(up.ctx), /path "\.\.\/\.\." points outside the pipeline directory/);
  const sneaky = await makeContext(dir, { path: 'd/../../etc', resolution: 32 });
  await assert.rejects(datasetImages.run(sneaky.ctx), /points outside the pipeline directory/);
  const badManifest = await makeContext(dir, { path: 'd', manifest: '../m.jsonl', resolution: 32 });
  await assert.rejects(
    datasetImages.run(badManifest.ctx),
    /manifest: path "\.\.\/m\.jsonl" points outside the data set folder/,
  );
  await writeFile(
    join(dir, 'd/m.jsonl'),
    [
      { file: 'a.png', caption: 'fine' },
      { file: '../../../etc/passwd', caption: 'x' },
      { file: '/etc/hostname', caption: 'y' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const rows = await makeContext(dir, {
    path: 'd',
    manifest: 'm.jsonl',
    resolution: 32,
    max_bad_fraction: 1,
  });
  await datasetImages.run(rows.ctx);
  const skipped = JSON.parse(await readFile(join(rows.ctx.outDir, 'skipped.json'), 'utf8')) as Skipped[];
  assert.deepEqual(
    skipped.map((s) => s.reason),
    ['outside_folder', 'outside_folder'],
  );
  // Listed as an input, so validate refuses it at its line (pipeline-format.md, Paths).
  assert.deepEqual(datasetImages.inputs?.({ path: '../../etc' }), ['../../etc']);
  assert.deepEqual(datasetImages.inputs?.({ path: 'd' }), ['d']);
  assert.deepEqual(datasetImages.inputs?.({ path: '<nodes.synth.outputs.images>' }), []);
});

test('CSV and JSONL manifests with the usual column names', async (t) => {
  const dir = tempFolder(t, 'moe-ds-');
  await writeImage(join(dir, 'd/img/a.png'), 40, 40, 1);
  await writeImage(join(dir, 'd/img/b.png'), 40, 40, 2);
  await writeFile(
    join(dir, 'd/meta.csv'),
    'file,caption\nimg/a.png,"a cat, sitting"\r\nimg/b.png,"the ""best"" dog"\nimg/gone.png,missing\n',
  );
  const csv = await makeContext(dir, {
    path: 'd',
    manifest: 'meta.csv',
    resolution: 32,
    eval_fraction: 0,
    max_bad_fraction: 0.5,
  });
  await datasetImages.run(csv.ctx);
  const items = await manifestOf(csv.ctx.outDir);
  assert.deepEqual(
    items.map((i) => i.caption),
    ['a cat, sitting', 'the "best" dog'],
  );
  const skipped = JSON.parse(await readFile(join(csv.ctx.outDir, 'skipped.json'), 'utf8')) as Skipped[];
  assert.deepEqual(
    skipped.map((s) => [s.source, s.reason]),
    [['img/gone.png', 'missing_file']],
  );
  await writeFile(join(dir, 'd/metadata.jsonl'), '{"file_name":"img/b.png","text":"hf style"}\n{not json\n');
  const jsonl = await makeContext(dir, {
    path: 'd',
    manifest: 'metadata.jsonl',
    resolution: 32,
    eval_fraction: 0,
    max_bad_fraction: 0.5,
  });
  await datasetImages.run(jsonl.ctx);
  assert.deepEqual(
    (await manifestOf(jsonl.ctx.outDir)).map((i) => i.caption),
    ['hf style'],
  );
});

test('an empty or missing folder is a clear error', async (t) => {
  const dir = tempFolder(t, 'moe-ds-');
  const missing = await makeContext(dir, { path: 'nope' });
  await assert.rejects(datasetImages.run(missing.ctx), /path .*nope does not exist/);
  await writeFile(join(dir, 'readme.md'), 'no images here');
  const empty = await makeContext(dir, { path: '.' });
  await assert.rejects(datasetImages.run(empty.ctx), /no images found in \./);
});

test('an aborted run stops with the abort reason', async (t) => {
  const dir = tempFolder(t, 'moe-ds-');
  await writeImage(join(dir, 'd/a.png'), 40, 40, 1);
  await writeFile(join(dir, 'd/a.txt'), 'a');
  const { ctx } = await makeContext(dir, { path: 'd', resolution: 32 });
  const stopped = { ...ctx, signal: AbortSignal.abort(new Error('cancelled by user')) };
  await assert.rejects(datasetImages.run(stopped), /cancelled by user/);
});
