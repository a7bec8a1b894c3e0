import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import plugin, {
  steps,
  datasetSynthetic,
  VOCABULARY,
  allCombos,
  caption,
  holdOut,
} from '../../../plugins/synthetic-shapes/index.js';
import { datasetImages } from '../../../src/steps/dataset/images.js';
import { makeContext } from '../../dataset/helpers.js';
import type { JsonValue } from '../../../src/pipeline/types.js';

async function runSynthetic(withValue: Readonly<Record<string, JsonValue>>) {
  const t = await makeContext('/nonexistent-pipeline-dir', withValue);
  const result = await datasetSynthetic.run(t.ctx);
  return { out: t.ctx.outDir, result };
}

async function allFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path.slice(dir.length), await readFile(path));
    }
  }
  return files;
}

test('the plugin module exports its steps as a plugin loader expects', () => {
  assert.deepEqual(
    steps.map((s) => s.name),
    ['dataset.synthetic'],
  );
  assert.equal(plugin.steps, steps);
  assert.deepEqual(datasetSynthetic.outputs({}), {
    images: 'images',
    prompts: 'prompts.json',
    scenes: 'scenes.jsonl',
  });
});

test('same seed gives identical bytes; another seed gives other images', async () => {
  const a = await runSynthetic({ count: 24, size: 32, seed: 5 });
  const b = await runSynthetic({ count: 24, size: 32, seed: 5 });
  const c = await runSynthetic({ count: 24, size: 32, seed: 6 });
  try {
    const fa = await allFiles(a.out);
    assert.equal(fa.size, 24 * 2 + 2);
    assert.deepEqual(await allFiles(b.out), fa);
    const fc = await allFiles(c.out);
    assert.notDeepEqual(fc.get('/images/00000.png'), fa.get('/images/00000.png'));
    assert.deepEqual(a.result?.summary, { images: 24, combinations: 108, held_out: 12, prompts: 12 });
  } finally {
    await Promise.all([a, b, c].map((r) => rm(join(r.out, '..'), { recursive: true, force: true })));
  }
});

test('images have the asked size, captions name what scenes.jsonl records, prompts are held out', async () => {
  const { out } = await runSynthetic({ count: 130, width: 48, height: 40, seed: 2 });
  try {
    const meta = await sharp(join(out, 'images/00007.png')).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [48, 40, 3]);
    const scenes = (await readFile(join(out, 'scenes.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            file: string;
            caption: string;
            shape: string;
            colour: string;
            background: string;
          },
      );
    assert.equal(scenes.length, 130);
    const trained = new Set<string>();
    for (const s of scenes) {
      assert.equal(s.caption, `a ${s.colour} ${s.shape} on a ${s.background} background`);
      assert.equal((await readFile(join(out, s.file.replace(/\.png$/, '.txt')), 'utf8')).trim(), s.caption);
      trained.add(s.caption);
    }
    assert.equal(trained.size, 108, 'every training combination appears once 108 images are drawn');
    const prompts = JSON.parse(await readFile(join(out, 'prompts.json'), 'utf8')) as string[];
    assert.equal(prompts.length, 12);
    for (const p of prompts) {
      assert.ok(!trained.has(p), `${p} is held out of training`);
      for (const word of p.split(' ')) assert.ok(VOCABULARY.includes(word), `${word} is in the vocabulary`);
    }
  } finally {
    await rm(join(out, '..'), { recursive: true, force: true });
  }
});

test('held-out combinations are new only as a whole: every pair of their parts is trained', () => {
  for (const seed of [0, 1, 2, 3]) {
    const { train, held } = holdOut(seed, 0.5);
    assert.equal(train.length + held.length, allCombos().length);
    assert.ok(held.length > 12);
    const pairs = new Set(
      train.flatMap((c) => [
        `${c.shape}|${c.colour}|`,
        `${c.shape}||${c.background}`,
        `|${c.colour}|${c.background}`,
      ]),
    );
    for (const h of held) {
      for (const k of [
        `${h.shape}|${h.colour}|`,
        `${h.shape}||${h.background}`,
        `|${h.colour}|${h.background}`,
      ]) {
        assert.ok(pairs.has(k), `${caption(h)}: ${k} seen in training`);
      }
    }
  }
  assert.equal(holdOut(0, 0).held.length, 0);
});

test('a restricted vocabulary draws only its words; held-out prompts stay new combinations of seen pairs', async () => {
  const vocabulary = { colours: ['red', 'green', 'blue', 'yellow'], shapes: ['circle', 'triangle'] };
  const { out, result } = await runSynthetic({
    count: 40,
    size: 32,
    seed: 3,
    eval_fraction: 0.25,
    ...vocabulary,
  });
  try {
    // 2 shapes × 4 colours × 3 backgrounds = 24 combinations, a quarter held out.
    assert.deepEqual(result?.summary, { images: 40, combinations: 18, held_out: 6, prompts: 6 });
    const captions = (await readFile(join(out, 'scenes.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { caption: string }).caption);
    const prompts = JSON.parse(await readFile(join(out, 'prompts.json'), 'utf8')) as string[];
    const allowed = new Set(['a', 'on', 'background', ...vocabulary.colours, ...vocabulary.shapes]);
    for (const text of [...captions, ...prompts]) {
      for (const word of text.split(' ')) assert.ok(allowed.has(word), `${word} (in "${text}") is allowed`);
    }
    for (const p of prompts) assert.ok(!captions.includes(p), `${p} is held out of training`);
  } finally {
    await rm(join(out, '..'), { recursive: true, force: true });
  }
  const { train, held } = holdOut(3, 0.25, {
    colours: ['red', 'green', 'blue', 'yellow'],
    shapes: ['circle', 'triangle'],
  });
  const seen = new Set(
    train.flatMap((c) => [
      `s${c.shape}${c.colour}`,
      `b${c.shape}${c.background}`,
      `c${c.colour}${c.background}`,
    ]),
  );
  for (const h of held) {
    for (const k of [`s${h.shape}${h.colour}`, `b${h.shape}${h.background}`, `c${h.colour}${h.background}`])
      assert.ok(seen.has(k), `${caption(h)}: ${k} is trained`);
  }
});

test('the held-out set is spread: with room to spare, no pair of words loses two of its combinations', () => {
  const vocabulary = {
    colours: ['red', 'green', 'blue', 'yellow', 'white'] as const,
    shapes: ['circle', 'square', 'triangle'] as const,
  };
  for (const seed of [0, 1, 2, 3, 4]) {
    const { train, held } = holdOut(seed, 0.2, vocabulary);
    assert.deepEqual([train.length, held.length], [48, 12]);
    const lost = new Map<string, number>();
    for (const h of held) {
      for (const k of [`s${h.shape}${h.colour}`, `b${h.shape}${h.background}`, `c${h.colour}${h.background}`])
        lost.set(k, (lost.get(k) ?? 0) + 1);
    }
    assert.equal(Math.max(...lost.values()), 1, `seed ${seed}: a pair lost ${Math.max(...lost.values())}`);
  }
});

test('synthetic output feeds dataset.images with nothing skipped', async () => {
  const { out } = await runSynthetic({ count: 20, size: 64, seed: 1 });
  const t = await makeContext('/nonexistent-pipeline-dir', {
    path: join(out, 'images'),
    resolution: 64,
    eval_count: 4,
    max_bad_fraction: 0,
  });
  try {
    const r = await datasetImages.run(t.ctx);
    assert.deepEqual(r?.summary, {
      inputs: 20,
      items: 20,
      train: 16,
      eval: 4,
      skipped: 0,
      bad: 0,
      duplicates: 0,
      buckets: 1,
    });
  } finally {
    await rm(join(out, '..'), { recursive: true, force: true });
    await rm(join(t.ctx.outDir, '..'), { recursive: true, force: true });
  }
});

test('every caption word is a whole token of the tiny model family', async () => {
  const { TINY_VOCABULARY_WORDS } = await import('../../../src/models/tiny/configs.js');
  for (const word of VOCABULARY)
    assert.ok(TINY_VOCABULARY_WORDS.includes(word), `${word} missing from the tiny vocabulary`);
});
