/**
 * `embeds.cache`: SDXL text embeddings and VAE latents for every manifest item and for extra prompts,
 * written as the node's `cache` (items.jsonl, prompts.jsonl, tensors.safetensors) and kept per entry in
 * the step's shared cache directory, so the second expert, evaluation and later runs encode only what is
 * new. Layout and keys: docs/design/workflow.md.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult } from '../../../contract/step.js';
import { describeModelFolder, openModelFolder } from '../../../models/optimum/index.js';
import type { SessionFactory } from '../../../models/optimum/index.js';
import { writeSafetensors } from '../../../formats/safetensors.js';
import type { TensorFromSource } from '../../../formats/safetensors.js';
import { readDatasetManifest, timeIds } from '../../dataset/manifest.js';
import { resolveUserPath } from '../../dataset/paths.js';
import { DigestMemo } from '../../../workflow/digest.js';
import { EntryStore } from '../../../workflow/entries.js';
import { sessionPool } from '../../../workflow/session-pool.js';
import { deviceSessions, must, WorkflowError } from '../../../workflow/sessions.js';
import { encodeLatents, encodeTexts } from './encode.js';
import type { PendingImage, PendingText } from './encode.js';
import { latentKey, modelIdentity, textKey } from './plan.js';
import type { PlannedItem } from './plan.js';
import { embedsCacheSchema } from './schema.js';
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

async function readPromptFile(path: string): Promise<string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new WorkflowError(`prompts ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
    throw new WorkflowError(`prompts ${path}: expected a JSON list of strings`);
  }
  return parsed as string[];
}

export async function runEmbedsCache(
  ctx: StepContext<EmbedsCacheWith>,
  options: EmbedsCacheOptions = {},
): Promise<StepResult> {
  const w = ctx.with;
  const batchSize = w.batch_size ?? 8;
  const modelDir = must(resolveUserPath(ctx.pipelineDir, w.model, 'model'));
  const manifestPath = must(resolveUserPath(ctx.pipelineDir, w.manifest, 'manifest'));
  const manifest = must(await readDatasetManifest(manifestPath));
  const extra = [
    ...(w.prompts !== undefined
      ? await readPromptFile(must(resolveUserPath(ctx.pipelineDir, w.prompts, 'prompts')))
      : []),
    ...(w.extra_prompts ?? []),
  ];
  const prompts = [...new Set(extra.filter((p) => p !== ''))];

  const described = await describeModelFolder(modelDir);
  if (!described.ok) throw new WorkflowError(described.error.message);
  const memo = new DigestMemo(join(ctx.sharedCacheDir, 'digests.json'));
  const identity = await modelIdentity(described.value, memo);
  await memo.save();

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

  const texts = new EntryStore(ctx.sharedCacheDir, 'text');
  const latents = new EntryStore(ctx.sharedCacheDir, 'latents');
  const pendingTexts = new Map<string, PendingText>();
  const pendingImages = new Map<string, PendingImage>();
  // Every distinct text and image this node needs, so the summary can say how many came from the cache.
  const textKeys = new Set<string>();
  const latentKeys = new Set<string>();
  const wantText = async (text: string): Promise<boolean> => {
    const key = textKey(identity, text);
    textKeys.add(key);
    if (pendingTexts.has(key)) return true;
    if (await texts.has(key)) return false;
    pendingTexts.set(key, { key, text });
    return true;
  };
  let itemsEncoded = 0;
  for (const p of planned) {
    const needText = await wantText(p.item.caption);
    latentKeys.add(p.latentKey);
    let needLatents = pendingImages.has(p.latentKey);
    if (!needLatents && !(await latents.has(p.latentKey))) {
      pendingImages.set(p.latentKey, { key: p.latentKey, file: p.file, size: p.item.target_size });
      needLatents = true;
    }
    if (needText || needLatents) itemsEncoded += 1;
  }
  let promptsEncoded = 0;
  for (const prompt of prompts) if (await wantText(prompt)) promptsEncoded += 1;

  let batches = 0;
  const todo = pendingTexts.size + pendingImages.size;
  if (todo > 0) {
    const open = options.sessions ?? must(deviceSessions(w.device ?? 'cpu', ctx.resources.cpu, ctx.gpus));
    const pool = sessionPool(open);
    try {
      const model = await openModelFolder(modelDir, pool.factory);
      if (!model.ok) throw new WorkflowError(model.error.message);
      await pool.releaseAll();
      const report = (done: number) =>
        ctx.progress({ done, total: todo, message: `encoded ${done}/${todo}` });
      batches += await encodeTexts(
        model.value,
        [...pendingTexts.values()],
        batchSize,
        texts,
        ctx.signal,
        report,
      );
      // The text encoders go before the VAE loads: one phase's models in memory at a time.
      await pool.releaseAll();
      const base = pendingTexts.size;
      batches += await encodeLatents(
        model.value,
        [...pendingImages.values()],
        batchSize,
        latents,
        ctx.signal,
        (d) => report(base + d),
      );
    } finally {
      await pool.releaseAll();
    }
  }

  await writeCacheFolder(join(ctx.outDir, OUTPUTS.cache), planned, prompts, identity, texts, latents);
  const summary = {
    items: planned.length,
    items_encoded: itemsEncoded,
    items_reused: planned.length - itemsEncoded,
    prompts: prompts.length,
    prompts_encoded: promptsEncoded,
    prompts_reused: prompts.length - promptsEncoded,
    texts_encoded: pendingTexts.size,
    texts_reused: textKeys.size - pendingTexts.size,
    latents_encoded: pendingImages.size,
    latents_reused: latentKeys.size - pendingImages.size,
    encoder_batches: batches,
  };
  ctx.log.info(
    `${planned.length} items: ${summary.items_reused} reused, ${itemsEncoded} encoded; ` +
      `${prompts.length} prompts: ${summary.prompts_reused} reused, ${promptsEncoded} encoded ` +
      `(${pendingTexts.size} texts and ${pendingImages.size} images in ${batches} encoder batches)`,
  );
  return { summary };
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
