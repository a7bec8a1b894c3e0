import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors } from '../../../src/formats/safetensors.js';
import { promptId, runEmbedsCache } from '../../../src/steps/diffusion/embeds-cache/index.js';
import type { EmbedsCacheWith } from '../../../src/steps/diffusion/embeds-cache/index.js';
import { countingSessions, makeContext, tempRoot, tinyModel, writeDataset } from './helpers.js';

const ITEMS = [
  { id: 'a1', caption: 'a red square', colour: [220, 30, 30] as const },
  { id: 'b2', caption: 'a blue square', colour: [30, 30, 220] as const },
  { id: 'c3', caption: 'a red square', colour: [200, 40, 40] as const, split: 'eval' as const },
];

test('embeds.cache encodes once, reuses everything on a rerun and only new items after a change', async () => {
  const root = await tempRoot();
  const model = await tinyModel(root);
  const manifest = await writeDataset(join(root, 'data'), ITEMS);
  const w: EmbedsCacheWith = { model, manifest, extra_prompts: ['a green circle', ''], batch_size: 2 };

  const first = countingSessions();
  const run1 = await makeContext(root, w);
  const r1 = await runEmbedsCache(run1.ctx, { sessions: first.factory });
  assert.equal(r1.summary?.['items_encoded'], 3);
  assert.equal(
    r1.summary?.['texts_encoded'],
    3,
    'two distinct captions and one prompt; the empty one is zeros',
  );
  assert.equal(r1.summary?.['latents_encoded'], 3);
  assert.equal(r1.summary?.['texts_reused'], 0);
  assert.equal(r1.summary?.['latents_reused'], 0);
  // Batches of two: texts 2 + 1, images 2 + 1 (all 32×32).
  assert.equal(first.runs.get('text_encoder'), 2);
  assert.equal(first.runs.get('text_encoder_2'), 2);
  assert.equal(first.runs.get('vae_encoder'), 2);

  const cache1 = join(run1.ctx.outDir, 'cache');
  const items = (await readFile(join(cache1, 'items.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    items.map((i) => [i['id'], i['split'], i['bucket'], i['time_ids']]),
    [
      ['a1', 'train', [32, 32], [32, 32, 0, 0, 32, 32]],
      ['b2', 'train', [32, 32], [32, 32, 0, 0, 32, 32]],
      ['c3', 'eval', [32, 32], [32, 32, 0, 0, 32, 32]],
    ],
  );
  const prompts = (await readFile(join(cache1, 'prompts.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(prompts, [{ id: promptId('a green circle'), prompt: 'a green circle' }]);
  const reader = await openSafetensors(join(cache1, 'tensors.safetensors'));
  assert.ok(reader.ok);
  assert.deepEqual(reader.value.tensors.get('a1.latents')?.shape, [4, 8, 8]);
  assert.deepEqual(reader.value.tensors.get('a1.prompt_embeds')?.shape, [77, 64]);
  assert.deepEqual(reader.value.tensors.get(`${promptId('a green circle')}.pooled`)?.shape, [64]);
  // Same caption, same text embedding; different images, different latents.
  assert.deepEqual(await reader.value.read('a1.prompt_embeds'), await reader.value.read('c3.prompt_embeds'));
  assert.notDeepEqual(await reader.value.read('a1.latents'), await reader.value.read('b2.latents'));
  await reader.value.close();

  const second = countingSessions();
  const run2 = await makeContext(root, w);
  const r2 = await runEmbedsCache(run2.ctx, { sessions: second.factory });
  assert.equal(second.runs.size, 0, `no model calls on a rerun, got ${JSON.stringify([...second.runs])}`);
  assert.equal(r2.summary?.['items_reused'], 3);
  assert.equal(r2.summary?.['prompts_reused'], 1);
  assert.deepEqual(
    [r2.summary?.['texts_reused'], r2.summary?.['texts_encoded']],
    [3, 0],
    'two captions and a prompt, each embedded once, all from the cache',
  );
  assert.deepEqual([r2.summary?.['latents_reused'], r2.summary?.['latents_encoded']], [3, 0]);
  assert.ok(
    run2.logs.some((l) => l.includes('3 items: 3 reused, 0 encoded')),
    run2.logs.join('\n'),
  );
  assert.deepEqual(
    await readFile(join(run2.ctx.outDir, 'cache', 'tensors.safetensors')),
    await readFile(join(cache1, 'tensors.safetensors')),
  );

  const manifest2 = await writeDataset(join(root, 'data2'), [
    ...ITEMS,
    { id: 'd4', caption: 'a yellow square', colour: [230, 230, 20] },
  ]);
  const third = countingSessions();
  const run3 = await makeContext(root, { ...w, manifest: manifest2 });
  const r3 = await runEmbedsCache(run3.ctx, { sessions: third.factory });
  assert.equal(r3.summary?.['items_encoded'], 1);
  assert.equal(r3.summary?.['items_reused'], 3);
  assert.deepEqual([r3.summary?.['texts_encoded'], r3.summary?.['texts_reused']], [1, 3]);
  assert.deepEqual([r3.summary?.['latents_encoded'], r3.summary?.['latents_reused']], [1, 3]);
  assert.equal(third.runs.get('text_encoder'), 1);
  assert.equal(third.runs.get('vae_encoder'), 1);
});
