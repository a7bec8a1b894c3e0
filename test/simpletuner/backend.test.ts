// train.expert's SimpleTuner backend called as a step: what it checks before launching anything, and how it
// passes a folder of captioned images through.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ProgressUpdate, StepContext } from '../../src/contract/step.js';
import { trainExpertStep } from '../../src/steps/train/index.js';
import type { TrainExpertWith } from '../../src/steps/train/index.js';

// Records its config, prints two progress lines, writes pipeline/unet.
const STANDIN = `const fs = require('node:fs');
const path = require('node:path');
const cfg = JSON.parse(fs.readFileSync(process.env.CONFIG_PATH, 'utf8'));
fs.writeFileSync(process.env.STANDIN_LOG, JSON.stringify({ cfg, db: JSON.parse(fs.readFileSync(cfg.data_backend_config, 'utf8')) }));
for (let s = 1; s <= cfg.max_train_steps; s++)
  process.stderr.write('\\rSteps: 50%|#| ' + s + '/' + cfg.max_train_steps + ' [00:01<00:01, step_loss=0.25, lr=1e-05]');
const unet = path.join(cfg.output_dir, 'pipeline', 'unet');
fs.mkdirSync(unet, { recursive: true });
fs.writeFileSync(path.join(unet, 'config.json'), '{}');
`;

function context(root: string, w: TrainExpertWith) {
  const logs: string[] = [];
  const updates: ProgressUpdate[] = [];
  for (const d of ['out', 'ckpt', 'shared', 'tmp']) mkdirSync(join(root, d), { recursive: true });
  const ctx: StepContext<TrainExpertWith> = {
    nodeId: 'base',
    with: w,
    outDir: join(root, 'out'),
    checkpointDir: join(root, 'ckpt'),
    sharedCacheDir: join(root, 'shared'),
    tmpDir: join(root, 'tmp'),
    pipelineDir: root,
    attempt: 1,
    signal: new AbortController().signal,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(m) },
    progress: (u) => updates.push(u),
    env: { PATH: process.env.PATH ?? '', STANDIN_LOG: join(root, 'standin.json') },
    gpus: [],
    resources: { cpu: 1, memoryBytes: undefined, gpu: 1 },
  };
  return { ctx, logs, updates };
}

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'moe-st-backend-'));
  writeFileSync(join(root, 'standin.cjs'), STANDIN);
  mkdirSync(join(root, 'photos'));
  for (const name of ['a', 'b']) {
    writeFileSync(join(root, 'photos', `${name}.png`), 'png bytes');
    writeFileSync(join(root, 'photos', `${name}.txt`), `a photo ${name}`);
  }
  return root;
}

const base = (
  root: string,
  extra: { readonly pretrained_model?: string; readonly cache?: string; readonly images?: string } = {},
): TrainExpertWith =>
  ({
    role: 'base',
    model: 'model',
    backend: 'simpletuner',
    images: 'photos',
    batch_size: 2,
    steps: 2,
    checkpoint_every: 1,
    max_grad_norm: 1,
    simpletuner_command: [process.execPath, join(root, 'standin.cjs')],
    ...extra,
  }) as TrainExpertWith;

test('an Optimum ONNX export is refused as the model SimpleTuner loads, naming pretrained_model', async () => {
  const root = project();
  mkdirSync(join(root, 'model', 'text_encoder'), { recursive: true });
  writeFileSync(join(root, 'model', 'text_encoder', 'model.onnx'), '');
  const { ctx } = context(root, base(root));
  await assert.rejects(trainExpertStep.run(ctx), /model .* is an ONNX export; .*set pretrained_model/);
  assert.ok(!existsSync(join(root, 'standin.json')), 'SimpleTuner was not started');
});

test('a folder of captioned images goes to SimpleTuner as it is; an unused cache is pointed out', async () => {
  const root = project();
  mkdirSync(join(root, 'sdxl', 'text_encoder'), { recursive: true });
  writeFileSync(join(root, 'sdxl', 'text_encoder', 'model.safetensors'), '');
  mkdirSync(join(root, 'model'));
  const { ctx, logs, updates } = context(root, base(root, { pretrained_model: 'sdxl', cache: 'unused' }));
  const result = await trainExpertStep.run(ctx);
  const seen = JSON.parse(readFileSync(join(root, 'standin.json'), 'utf8')) as {
    cfg: Record<string, unknown>;
    db: Record<string, unknown>[];
  };
  assert.equal(seen.cfg['pretrained_model_name_or_path'], join(root, 'sdxl'));
  assert.equal(
    seen.db.find((d) => d['dataset_type'] === undefined)?.['instance_data_dir'],
    join(root, 'photos'),
  );
  assert.ok(
    logs.some((l) => /^warn cache: backend simpletuner/.test(l)),
    logs.join('\n'),
  );
  assert.ok(existsSync(join(root, 'out', 'unet', 'config.json')));
  assert.equal(result?.summary?.['steps'], 2);
  assert.equal(result?.summary?.['final_loss'], 0.25);
  assert.deepEqual(
    updates.map((u) => u.done),
    [1, 2],
  );
});

test('an empty image folder and a manifest without train items are refused before SimpleTuner starts', async () => {
  const root = project();
  mkdirSync(join(root, 'model'));
  mkdirSync(join(root, 'empty'));
  await assert.rejects(
    trainExpertStep.run(context(root, base(root, { images: 'empty' })).ctx),
    /images: the folder .* holds no images with \.txt captions/,
  );
  writeFileSync(
    join(root, 'manifest.jsonl'),
    `${JSON.stringify({ id: 'x', caption: 'c', file: 'photos/a.png', source: 'a.png', original_size: [8, 8], crop_top_left: [0, 0], target_size: [8, 8], split: 'eval' })}\n`,
  );
  await assert.rejects(
    trainExpertStep.run(context(root, base(root, { images: 'manifest.jsonl' })).ctx),
    /no items in the train split/,
  );
});
