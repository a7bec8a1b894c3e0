// The shipped pipelines validate, and ssd1b.yaml carries the seed's settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = new URL('../..', import.meta.url).pathname;

function validate(file: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'moe.js'), 'validate', file], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

for (const name of ['tiny', 'ssd1b']) {
  test(`moe validate pipelines/${name}.yaml passes with no warnings`, () => {
    const r = validate(join(ROOT, 'pipelines', `${name}.yaml`));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /valid/);
    assert.doesNotMatch(r.out, /warning/i, r.out);
  });
}

interface Node {
  step: string;
  with: Record<string, unknown>;
  resources?: Record<string, unknown>;
}

test("ssd1b.yaml is the seed's configuration", () => {
  const text = readFileSync(join(ROOT, 'pipelines', 'ssd1b.yaml'), 'utf8');
  assert.match(
    text.split('\n')[0]!,
    /^# yaml-language-server: \$schema=\.\.\/schemas\/pipeline\.schema\.json$/,
  );
  const p = parse(text) as {
    params: Record<string, unknown>;
    defaults: Record<string, Partial<Node>>;
    nodes: Record<string, Node>;
  };
  assert.equal(p.params['strength'], 0.35);
  assert.equal(p.params['learning_rate'], 4e-7);
  assert.equal(p.params['batch_size'], 8);
  assert.equal(p.params['sample_steps'], 40);
  assert.equal(p.params['guidance_scale'], 9.2);
  assert.equal(p.params['guidance_rescale'], 0.7);
  assert.ok('model' in p.params && 'data' in p.params, 'model and data paths are parameters');
  for (const id of ['base', 'refiner']) {
    // The experts' shared settings are written once, under `defaults: train.expert:`.
    const w = { ...p.defaults['train.expert']?.with, ...p.nodes[id]!.with };
    assert.equal(p.nodes[id]!.step, 'train.expert');
    assert.equal(w['role'], id);
    assert.equal(w['strength'], '${{ params.strength }}');
    assert.equal(w['learning_rate'], '${{ params.learning_rate }}');
    assert.equal(w['batch_size'], '${{ params.batch_size }}');
    assert.equal(w['gradient_accumulation'], 1);
    assert.equal(w['gradient_checkpointing'], true);
    assert.equal(w['prediction_type'], 'v_prediction');
    assert.equal(w['zero_snr'], true);
    assert.equal(w['timestep_spacing'], 'trailing');
    assert.equal(w['backend'], 'simpletuner');
    assert.equal(w['model'], '${{ params.model }}', 'a full fine-tune of the given model');
  }
  const c = p.nodes['compose']!.with;
  assert.equal(c['scheduler'], 'unipc');
  assert.equal(c['split'], '${{ 1 - params.strength }}');
  assert.equal(c['steps'], '${{ params.sample_steps }}');
  assert.equal(c['guidance_scale'], '${{ params.guidance_scale }}');
  assert.equal(c['guidance_rescale'], '${{ params.guidance_rescale }}');
  assert.equal(
    p.nodes['evaluate']!.with['split'],
    'eval',
    'the refiner is validated on held-out dataset images',
  );
});

test("ssd1b.yaml's report title follows the strength (--param or a sweep), not a fixed 0.35", async () => {
  const { openPipeline } = await import('../../src/app/open.js');
  const { resolveWith } = await import('../../src/pipeline/resolve.js');
  const opened = await openPipeline(join(ROOT, 'pipelines', 'ssd1b.yaml'), { params: { strength: '0.2' } });
  assert.ok(opened.ok);
  const report = opened.value.pipeline.nodes.get('report' as never);
  assert.ok(report);
  const r = resolveWith(
    report.with,
    { params: opened.value.pipeline.params, env: () => undefined, output: () => '/x' },
    { shellFields: new Set() },
  );
  assert.ok(r.ok);
  assert.equal(
    (r.value.value as { title: string }).title,
    'SSD-1B: base and refiner experts at strength 0.2',
  );
});
