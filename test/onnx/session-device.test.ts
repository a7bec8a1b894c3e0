// device: cuda — whether onnxruntime-node can run on CUDA, the message when it cannot (through `moe run`, for
// compose.inference and evaluate, which is always the case on a machine without the CUDA binaries), and the
// CUDA ordinal of a moe GPU inside the process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { cudaOrdinal, cudaProviderProblem, cudaUnavailableMessage } from '../../src/onnx/session-device.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CUDA = [{ name: 'cpu' }, { name: 'cuda' }];

test('the CUDA provider counts as installed only when its libraries are beside the binding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-ort-bin-'));
  const missing = cudaProviderProblem([dir], CUDA);
  if (process.platform === 'linux') {
    assert.match(missing ?? '', /installed without its CUDA binaries/);
    assert.match(missing ?? '', /libonnxruntime_providers_cuda\.so/);
    writeFileSync(join(dir, 'libonnxruntime_providers_cuda.so'), '');
    assert.match(cudaProviderProblem([dir], CUDA) ?? '', /libonnxruntime_providers_shared\.so/);
    writeFileSync(join(dir, 'libonnxruntime_providers_shared.so'), '');
    assert.equal(cudaProviderProblem([dir], CUDA), undefined);
  }
  assert.match(cudaProviderProblem([dir], [{ name: 'cpu' }]) ?? '', /no CUDA execution provider/);
});

test('the message names the field and both ways out', () => {
  const m = cudaUnavailableMessage('no GPU', 'device');
  assert.match(m, /^device: cuda cannot be used: no GPU\./);
  assert.match(m, /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/);
  assert.match(m, /or set device: cpu$/);
});

test("a moe GPU id is CUDA's ordinal among the devices this process sees", () => {
  assert.equal(cudaOrdinal(undefined, undefined), 0);
  assert.equal(cudaOrdinal(2, undefined), 2);
  assert.equal(cudaOrdinal(3, '3'), 0, 'Slurm granted GPU 3: ordinal 0 in the job');
  assert.equal(cudaOrdinal(3, '2,3'), 1);
  assert.equal(cudaOrdinal(1, 'GPU-aaaa,GPU-bbbb'), 1, 'UUIDs are numbered by position');
});

test(
  'moe run: compose.inference and evaluate with device: cuda fail with the message, no stack trace',
  { skip: cudaProviderProblem() === undefined ? 'this machine has the CUDA provider' : false },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moe-cuda-'));
    mkdirSync(join(dir, 'photos'));
    const colours = { red: [220, 30, 30], green: [30, 200, 40], blue: [20, 40, 220], white: [250, 250, 250] };
    let i = 0;
    for (const [name, [r, g, b]] of Object.entries(colours)) {
      await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: r!, g: g!, b: b! } } })
        .png()
        .toFile(join(dir, 'photos', `${i}.png`));
      writeFileSync(join(dir, 'photos', `${i}.txt`), `a ${name} square`);
      i += 1;
    }
    writeFileSync(
      join(dir, 'p.yaml'),
      `version: 1
name: cuda-device
nodes:
  data:
    step: dataset.images
    with: { path: photos, resolution: 32, buckets: false, eval_count: 2 }
  model:
    step: models.tiny
  cache:
    step: embeds.cache
    with: { model: '\${{ nodes.model.outputs.model }}', manifest: '\${{ nodes.data.outputs.manifest }}' }
  compose:
    step: compose.inference
    with:
      model: \${{ nodes.model.outputs.model }}
      base: \${{ nodes.model.outputs.model }}/unet
      refiner: \${{ nodes.model.outputs.model }}/unet
      steps: 4
      prompts: [a red square]
      width: 32
      height: 32
      device: cuda
  evaluate:
    step: evaluate
    with:
      model: \${{ nodes.model.outputs.model }}
      cache: \${{ nodes.cache.outputs.cache }}
      base: \${{ nodes.model.outputs.model }}/unet
      refiner: \${{ nodes.model.outputs.model }}/unet
      eval_timesteps: 4
      device: cuda
`,
    );
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'moe.js'), 'run', join(dir, 'p.yaml'), '--keep-going', '--json'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 },
    );
    const all = r.stdout + r.stderr;
    assert.notEqual(r.status, 0, all);
    assert.doesNotMatch(all, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
    for (const node of ['compose', 'evaluate']) {
      const failure = new RegExp(
        `${node}[^\\n]*device: cuda cannot be used: [^\\n]*installed without its CUDA binaries[^\\n]*or set device: cpu`,
      );
      assert.match(all, failure, `${node}: ${all}`);
    }
  },
);
