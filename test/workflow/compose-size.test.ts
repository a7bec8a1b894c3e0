// compose.inference's width and height against its VAE's factor, before anything runs: at validation for a
// models.tiny model (factor 4), and when a run or plan starts for a model folder (its VAE config's
// block_out_channels: 2^(n−1), 8 for SDXL and SSD-1B).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expertsPipeline, ruleDiagnostics } from './rule-pipelines.js';
import { folderVaeFactor } from '../../src/workflow/compose-size.js';
import { tinyVaeConfigJson } from '../../src/models/tiny/configs.js';
import { moe, tempDir, writePipeline } from '../cli/helpers.js';

test('validate: a compose size the tiny VAE (factor 4) does not divide is an error at the value', async () => {
  const text = (width: string): string =>
    expertsPipeline({
      name: 'sizes',
      params: { strength: 0.35, size: 30 },
      compose: `split: 0.65\nwidth: ${width}\nheight: 32`,
    });
  const errors = (await ruleDiagnostics(text('${{ params.size }}'), { help: true })).filter((d) =>
    d.includes('VAE'),
  );
  assert.deepEqual(errors, [
    "p.yaml:33:14: error: `compose`: width 30 is not a multiple of the VAE's factor 4 (the tiny family's VAE encodes 4×4 patches); compose samples latents of width/4 [help: use a multiple of 4: 28 or 32]",
  ]);
  assert.deepEqual(
    (await ruleDiagnostics(text('28'))).filter((d) => d.includes('VAE')),
    [],
  );
});

test("a model folder's factor comes from its VAE config alone; none when the folder does not say", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const sdxl = join(dir, 'sdxl');
  mkdirSync(join(sdxl, 'vae_decoder'), { recursive: true });
  writeFileSync(join(sdxl, 'vae_decoder', 'config.json'), '{"block_out_channels":[128,256,512,512]}');
  assert.equal(folderVaeFactor(sdxl)?.factor, 8);
  const tiny = join(dir, 'tiny');
  mkdirSync(join(tiny, 'vae_encoder'), { recursive: true });
  writeFileSync(join(tiny, 'vae_encoder', 'config.json'), JSON.stringify(tinyVaeConfigJson()));
  assert.equal(folderVaeFactor(tiny)?.factor, 4);
  assert.equal(folderVaeFactor(join(dir, 'missing')), undefined);
});

const FOLDER_PIPELINE = `version: 1
name: sizes
params:
  model: m
  resolution: 1024
nodes:
  first:
    step: command
    with:
      run: 'touch "MARK"; echo x > "$MOE_OUT/x.txt"'
      outputs: { x: x.txt }
  compose:
    step: compose.inference
    with:
      model: \${{ params.model }}
      base: \${{ nodes.first.outputs.x }}
      refiner: \${{ nodes.first.outputs.x }}
      prompts: [a red square]
      width: \${{ params.resolution }}
      height: 1024
`;

test("moe run and plan: a size the model folder's VAE (factor 8) does not divide stops them before any node runs", (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  mkdirSync(join(dir, 'm', 'vae_decoder'), { recursive: true });
  writeFileSync(join(dir, 'm', 'vae_decoder', 'config.json'), '{"block_out_channels":[128,256,512,512]}');
  writePipeline(dir, FOLDER_PIPELINE.replace('MARK', join(dir, 'ran')));
  const expected =
    /^p\.yaml:19:14: error: `compose`: width 1020 is not a multiple of the VAE's factor 8 \(.*m\/vae_decoder\/config\.json: 4 block_out_channels, 2\^3\); compose samples latents of width\/8\n.*\n.*\n {2}help: use a multiple of 8: 1016 or 1024\n/;
  const run = moe(['run', 'p.yaml', '--param', 'resolution=1020'], dir);
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stderr, expected);
  assert.equal(existsSync(join(dir, 'ran')), false, 'no node ran');
  const plan = moe(['plan', 'p.yaml', '--param', 'resolution=1020'], dir);
  assert.equal(plan.code, 2, plan.stdout + plan.stderr);
  assert.match(plan.stderr, expected);
  // Validation does not read the folder (it may exist only where the pipeline runs).
  assert.equal(moe(['validate', 'p.yaml', '--param', 'resolution=1020'], dir).code, 0);
  const fine = moe(['plan', 'p.yaml'], dir);
  assert.equal(fine.code, 0, fine.stdout + fine.stderr);
});
