// The two experts of a SimpleTuner pipeline as two Slurm jobs on the local cluster (scripts/slurm-cluster.sh),
// with the stand-in `simpletuner`: both jobs start together, one fills the shared caches while the other
// waits on the cache lock (on the file system the jobs share), then both train side by side. The cluster
// has no GPU gres, so the experts ask for none; the lock does not depend on GPUs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { assertFilledOnceThenOverlapped, standInProject } from '../simpletuner/standin.js';

import { DRIVER, clusterExecutor, clusterTest } from './cluster-up.js';

const repo = join(import.meta.dirname, '..', '..');

function pipeline(): string {
  const expert = (role: string, extra: string) => `  ${role}:
    step: train.expert
    with:
      role: ${role}
      model: model
      images: \${{ nodes.data.outputs.manifest }}
      strength: 0.35
      prediction_type: v_prediction
      batch_size: 2
      steps: 12
      checkpoint_every: 6
      resolution: 64
      backend: simpletuner
${extra}    resources: { cpu: 1, memory: 256MB }
`;
  return `version: 1
name: slurm-simpletuner
${clusterExecutor({ fromSource: true })}nodes:
  data:
    step: dataset.images
    with: { path: photos, resolution: 64, buckets: false, eval_count: 1 }
    resources: { cpu: 1, memory: 512MB }
${expert('base', '')}${expert('refiner', '      validation_using_datasets: true\n')}`;
}

interface Invocation {
  readonly pid: number;
  readonly config: Record<string, unknown>;
  readonly computed: number;
  readonly job: string | undefined;
  readonly startedAt: number;
  readonly cachedAt: number;
}

clusterTest(
  'Slurm: two SimpleTuner experts as two jobs fill the shared caches once and overlap in time',
  300_000,
  async () => {
    const { dir, bin } = standInProject('moe-slurm-st-');
    mkdirSync(join(dir, 'photos'));
    for (let i = 0; i < 5; i++) {
      await sharp({
        create: { width: 72, height: 72, channels: 3, background: { r: 40 * i, g: 90, b: 200 } },
      })
        .png()
        .toFile(join(dir, 'photos', `${i}.png`));
      writeFileSync(join(dir, 'photos', `${i}.txt`), `picture ${i}`);
    }
    const file = join(dir, 'p.yaml');
    writeFileSync(file, pipeline());
    const log = join(dir, 'standin.jsonl');
    const child = spawn(process.execPath, ['--import', 'tsx', DRIVER, file, '4'], {
      cwd: repo,
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        STANDIN_LOG: log,
        STANDIN_STEP_MS: '300',
        STANDIN_CACHE_MS: '300',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    child.stdout.on('data', (c: Buffer) => lines.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => lines.push(c.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, lines.join('').slice(-3000));

    const all = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Invocation);
    assert.equal(all.length, 2, 'one SimpleTuner per expert');
    const jobs = all.map((i) => i.job);
    assert.ok(
      jobs.every((j) => j !== undefined) && jobs[0] !== jobs[1],
      `two Slurm jobs: ${jobs.join(', ')}`,
    );
    assert.equal(
      all.reduce((n, i) => n + i.computed, 0),
      8,
      'caches filled once: 4 images × (text + VAE)',
    );
    assertFilledOnceThenOverlapped(log, all[0]!, all[1]!);
    assert.ok(existsSync(join(dir, '.moe')));
  },
);
