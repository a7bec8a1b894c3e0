/**
 * `embeds.cache`: SDXL text embeddings and VAE latents for every manifest item and for extra prompts,
 * written as the node's `cache` (items.jsonl, prompts.jsonl, tensors.safetensors) and kept per entry in
 * the step's shared cache directory, so the second expert, evaluation and later runs encode only what is
 * new. Layout and keys: docs/design/workflow.md.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from '../../../contract/step.js';
import { describeModelFolder, openModelFolder } from '../../../models/optimum/index.js';
import type { SessionFactory } from '../../../models/optimum/index.js';
import { writeSafetensors } from '../../../formats/safetensors.js';
import type { TensorFromSource } from '../../../formats/safetensors.js';
import { readDatasetManifest, timeIds } from '../../dataset/manifest.js';
import type { LoadedManifest } from '../../dataset/manifest.js';
import { withDefaults } from '../../defaults.js';
import { resolveUserPath } from '../../dataset/paths.js';
import { DigestMemo } from '../../../workflow/digest.js';
import { EntryStore } from '../../../workflow/entries.js';
import { ExpertSession } from '../../../workflow/expert-session.js';
import { readPromptFile } from '../../../workflow/prompt-file.js';
import { must, WorkflowError } from '../../../workflow/sessions.js';
import { encodeLatents, encodeTexts } from './encode.js';
import type { PendingImage, PendingText } from './encode.js';
import { latentKey, modelIdentity, textKey } from './plan.js';
import type { PlannedItem } from './plan.js';
import { EMBEDS_CACHE_DEFAULTS, embedsCacheSchema } from './schema.js';
import type { EmbedsCacheWith } from './schema.js';

export type { EmbedsCacheWith } from './schema.js';

const OUTPUTS = { cache: 'cache' } as const;

/** The id a prompt that is not a dataset item gets in the cache. */
export const promptId = (prompt: string): string =>
  `prompt.${createHash('sha256').update(prompt).digest('hex')}`;

export interface EmbedsCacheOptions {
  /** Opens ONNX models; tests pass one that counts encoder calls. Default: per `device`. */
  readonly sessions?: SessionFactory;
}

export async function runEmbedsCache(
  ctx: StepContext<EmbedsCacheWith>,
  options: EmbedsCacheOptions = {},
): Promise<StepResult> {
  const w = withDefaults(ctx.with, EMBEDS_CACHE_DEFAULTS);
  const modelDir = must(resolveUserPath(ctx.pipelineDir, w.model, 'model'));
  const manifestPath = must(resolveUserPath(ctx.pipelineDir, w.manifest, 'manifest'));
  const manifest = must(await readDatasetManifest(manifestPath));
  const extra = [
    ...(w.prompts !== undefined
      ? await readPromptFile(must(resolveUserPath(ctx.pipelineDir, w.prompts, 'prompts')), 'prompts')
      : []),
    ...(w.extra_prompts ?? []),
  ];
  const prompts = [...new Set(extra.filter((p) => p !== ''))];

  const described = await describeModelFolder(modelDir);
  if (!described.ok) throw new WorkflowError(described.error.message);
  const memo = new DigestMemo(join(ctx.sharedCacheDir, 'digests.json'));
  const identity = await modelIdentity(described.value, memo);
  await memo.save();

  const planned = await planItems(ctx, manifest, identity);
  const texts = new EntryStore(ctx.sharedCacheDir, 'text');
  const latents = new EntryStore(ctx.sharedCacheDir, 'latents');
  const work = await pendingWork(planned, prompts, identity, texts, latents);
  const todo = work.texts.size + work.images.size;
  const batches =
    todo === 0
      ? 0
      : await ExpertSession.run(ctx, w.device, options.sessions, (session) =>
          encodePending(ctx, session, modelDir, w.batch_size, work, { texts, latents }),
        );

  await writeCacheFolder(join(ctx.outDir, OUTPUTS.cache), planned, prompts, identity, texts, latents);
  const summary = {
    items: planned.length,
    items_encoded: work.itemsEncoded,
    items_reused: planned.length - work.itemsEncoded,
    prompts: prompts.length,
    prompts_encoded: work.promptsEncoded,
    prompts_reused: prompts.length - work.promptsEncoded,
    texts_encoded: work.texts.size,
    texts_reused: work.textKeys.size - work.texts.size,
    latents_encoded: work.images.size,
    latents_reused: work.latentKeys.size - work.images.size,
    encoder_batches: batches,
  };
  ctx.log.info(
    `${planned.length} items: ${summary.items_reused} reused, ${work.itemsEncoded} encoded; ` +
      `${prompts.length} prompts: ${summary.prompts_reused} reused, ${work.promptsEncoded} encoded ` +
      `(${work.texts.size} texts and ${work.images.size} images in ${batches} encoder batches)`,
  );
  return { summary };
}

type Identity = Parameters<typeof textKey>[0];

/** One entry per distinct manifest item, with the keys of its text and latents in the shared cache. */
async function planItems(
  ctx: StepContext<EmbedsCacheWith>,
  manifest: LoadedManifest,
  identity: Identity,
): Promise<PlannedItem[]> {
  const planned: PlannedItem[] = [];
  const seen = new Set<string>();
  for (const [i, item] of manifest.items.entries()) {
    if (seen.has(item.id)) {
      ctx.log.warn(`manifest item ${item.id} appears more than once; the first is kept`);
      continue;
    }
    seen.add(item.id);
    const file = manifest.files[i] as string;
    planned.push({
      item,
      file,
      textKey: textKey(identity, item.caption),
      latentKey: await latentKey(identity, file),
    });
  }
  return planned;
}

/** What the shared cache lacks, and every distinct key this node needs (for the reuse counts). */
interface PendingWork {
  readonly texts: Map<string, PendingText>;
  readonly images: Map<string, PendingImage>;
  readonly textKeys: Set<string>;
  readonly latentKeys: Set<string>;
  readonly itemsEncoded: number;
  readonly promptsEncoded: number;
}

async function pendingWork(
  planned: readonly PlannedItem[],
  prompts: readonly string[],
  identity: Identity,
  texts: EntryStore,
  latents: EntryStore,
): Promise<PendingWork> {
  const work = {
    texts: new Map<string, PendingText>(),
    images: new Map<string, PendingImage>(),
    textKeys: new Set<string>(),
    latentKeys: new Set<string>(),
  };
  const wantText = async (text: string): Promise<boolean> => {
    const key = textKey(identity, text);
    work.textKeys.add(key);
    if (work.texts.has(key)) return true;
    if (await texts.has(key)) return false;
    work.texts.set(key, { key, text });
    return true;
  };
  let itemsEncoded = 0;
  for (const p of planned) {
    const needText = await wantText(p.item.caption);
    work.latentKeys.add(p.latentKey);
    let needLatents = work.images.has(p.latentKey);
    if (!needLatents && !(await latents.has(p.latentKey))) {
      work.images.set(p.latentKey, { key: p.latentKey, file: p.file, size: p.item.target_size });
      needLatents = true;
    }
    if (needText || needLatents) itemsEncoded += 1;
  }
  let promptsEncoded = 0;
  for (const prompt of prompts) if (await wantText(prompt)) promptsEncoded += 1;
  return { ...work, itemsEncoded, promptsEncoded };
}

/** Encodes the pending texts, then (text encoders released) the pending images; the batches it ran. */
async function encodePending(
  ctx: StepContext<EmbedsCacheWith>,
  session: ExpertSession,
  modelDir: string,
  batchSize: number,
  work: PendingWork,
  stores: { readonly texts: EntryStore; readonly latents: EntryStore },
): Promise<number> {
  const todo = work.texts.size + work.images.size;
  const model = await openModelFolder(modelDir, session.pool.factory);
  if (!model.ok) throw new WorkflowError(model.error.message);
  await session.release();
  const report = (done: number) => ctx.progress({ done, total: todo, message: `encoded ${done}/${todo}` });
  let batches = await encodeTexts(
    model.value,
    [...work.texts.values()],
    batchSize,
    stores.texts,
    ctx.signal,
    report,
  );
  // The text encoders go before the VAE loads: one phase's models in memory at a time.
  await session.release();
  const base = work.texts.size;
  batches += await encodeLatents(
    model.value,
    [...work.images.values()],
    batchSize,
    stores.latents,
    ctx.signal,
    (d) => report(base + d),
  );
  return batches;
}

async function writeCacheFolder(
  dir: string,
  planned: readonly PlannedItem[],
  prompts: readonly string[],
  identity: Parameters<typeof textKey>[0],
  texts: EntryStore,
  latents: EntryStore,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors: TensorFromSource[] = [];
  const add = async (store: EntryStore, key: string, id: string, names: readonly string[]) => {
    const shapes = await store.shapes(key);
    for (const name of names) {
      const shape = shapes.get(name);
      if (shape === undefined) throw new Error(`${store.path(key)}: no tensor ${name}`);
      tensors.push({ name: `${id}.${name}`, dtype: 'F32', shape, read: () => store.read(key, name) });
    }
  };
  const itemLines: string[] = [];
  for (const p of planned) {
    await add(latents, p.latentKey, p.item.id, ['latents']);
    await add(texts, p.textKey, p.item.id, ['prompt_embeds', 'pooled']);
    itemLines.push(
      JSON.stringify({
        id: p.item.id,
        caption: p.item.caption,
        split: p.item.split,
        bucket: p.item.target_size,
        time_ids: timeIds(p.item),
      }),
    );
  }
  const promptLines: string[] = [];
  for (const prompt of prompts) {
    const id = promptId(prompt);
    await add(texts, textKey(identity, prompt), id, ['prompt_embeds', 'pooled']);
    promptLines.push(JSON.stringify({ id, prompt }));
  }
  await writeSafetensors(join(dir, 'tensors.safetensors'), tensors, { format: 'moe-embeds' });
  await writeFile(join(dir, 'items.jsonl'), itemLines.map((l) => `${l}\n`).join(''));
  await writeFile(join(dir, 'prompts.jsonl'), promptLines.map((l) => `${l}\n`).join(''));
}

export const embedsCacheStep: StepDefinition<EmbedsCacheWith> = {
  name: 'embeds.cache',
  version: '1',
  description: 'Encode captions, prompts (text encoders) and images (VAE) once, reused across nodes and runs',
  withSchema: embedsCacheSchema,
  outputs: () => OUTPUTS,
  run: (ctx) => runEmbedsCache(ctx),
};
