// The cross-stage rules of flow-matching pairs, as `moe validate` reports them (file:line:col): one objective
// and one shift for both experts and the sampler, and compose/evaluate splitting at the training boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPipeline } from '../../src/app/open.js';
import type { Diagnostic } from '../../src/pipeline/index.js';
import { workflowRules } from '../../src/workflow/rules.js';

const lines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `      ${l}\n`)
    .join('');

function pipeline(o: { base: string; refiner: string; compose: string; consumer?: string }): string {
  const expert = (name: string, role: string, extra: string) =>
    `  ${name}:\n    step: train.expert\n    with:\n      role: ${role}\n` +
    '      model: ${{ nodes.model.outputs.model }}\n      cache: ${{ nodes.cache.outputs.cache }}\n' +
    lines(extra);
  return (
    'version: 1\nname: flow-rules\nparams:\n  boundary: 0.875\n  shift: 3\nnodes:\n' +
    '  model:\n    step: models.tiny\n' +
    '  cache:\n    step: embeds.cache\n    with:\n      model: ${{ nodes.model.outputs.model }}\n      manifest: data/manifest.jsonl\n' +
    expert('base', 'base', o.base) +
    expert('refiner', 'refiner', o.refiner) +
    `  compose:\n    step: ${o.consumer ?? 'compose.inference'}\n    with:\n` +
    '      model: ${{ nodes.model.outputs.model }}\n      base: ${{ nodes.base.outputs.unet }}\n      refiner: ${{ nodes.refiner.outputs.unet }}\n' +
    lines(o.compose)
  );
}

async function check(text: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'moe-flow-rules-'));
  const file = join(dir, 'p.yaml');
  await writeFile(file, text);
  const opened = await openPipeline(file, { rules: workflowRules });
  const diagnostics: readonly Diagnostic[] = opened.ok ? opened.value.warnings : opened.error.diagnostics;
  return diagnostics.map(
    (d) =>
      `${d.range ? `p.yaml:${d.range.start.line}:${d.range.start.column}: ` : ''}${d.severity}: ${d.message}`,
  );
}

const FLOW = 'objective: flow_matching\nboundary: ${{ params.boundary }}\nshift: ${{ params.shift }}';

test('a consistent flow-matching pair passes, and the strength/split rules do not apply to it', async () => {
  assert.deepEqual(
    await check(
      pipeline({ base: FLOW, refiner: FLOW, compose: `${FLOW}\nscheduler: flow_euler\nprompts: [a]` }),
    ),
    [],
  );
  const evaluate = pipeline({ base: FLOW, refiner: FLOW, compose: FLOW, consumer: 'evaluate' }).replace(
    '      base: ${{ nodes.base',
    '      cache: ${{ nodes.cache.outputs.cache }}\n      base: ${{ nodes.base',
  );
  assert.deepEqual(await check(evaluate), []);
  // Boundary given as an SNR threshold on one side: the same boundary, so no error.
  const snr = `objective: flow_matching\nboundary_snr: ${((1 - 0.875) / 0.875) ** 2}\nshift: 3`;
  assert.deepEqual(await check(pipeline({ base: snr, refiner: FLOW, compose: `${FLOW}\nprompts: [a]` })), []);
});

test('a shift mismatch is an error at the differing value, naming both', async () => {
  const got = await check(
    pipeline({
      base: FLOW,
      refiner: 'objective: flow_matching\nboundary: ${{ params.boundary }}\nshift: 5',
      compose: 'objective: flow_matching\nboundary: ${{ params.boundary }}\nprompts: [a]',
    }),
  );
  assert.deepEqual(got, [
    'p.yaml:31:14: error: shift differs: `refiner` has 5, the base `base` 3; the experts and the sampler must share one shift (it decides which σ a timestep means)',
    'p.yaml:32:3: error: shift differs: `compose` has 1 (the default), the base `base` 3; the experts and the sampler must share one shift (it decides which σ a timestep means)',
  ]);
});

test('boundary mismatches: between the experts, and a compose hand-off that is not the training boundary', async () => {
  const got = await check(
    pipeline({
      base: FLOW,
      refiner: 'objective: flow_matching\nboundary: 0.9\nshift: ${{ params.shift }}',
      compose: 'objective: flow_matching\nboundary: 0.8\nshift: ${{ params.shift }}\nprompts: [a]',
    }),
  );
  assert.deepEqual(got, [
    'p.yaml:30:17: error: boundary differs: refiner `refiner` 0.9, base `base` 0.875; the σ between them would belong to both experts',
    'p.yaml:39:17: error: `compose` splits at boundary 0.8 (t 800), but the experts were trained to meet at 0.875 (t 875): the hand-off must be the training boundary',
  ]);
});

test('one node left on the diffusion objective is an error at that node', async () => {
  const got = await check(
    pipeline({ base: FLOW, refiner: 'boundary: ${{ params.boundary }}', compose: `${FLOW}\nprompts: [a]` }),
  );
  assert.ok(
    got.some((l) =>
      /^p\.yaml:\d+:\d+: error: `refiner` has objective diffusion \(the default\) but `base` trains with flow_matching/.test(
        l,
      ),
    ),
    got.join('\n'),
  );
});

test('backend simpletuner with objective flow_matching is refused at validation, at the objective', async () => {
  const st = `${FLOW}\nbackend: simpletuner\nimages: data/manifest.jsonl\nbatch_size: 4`;
  const got = await check(pipeline({ base: st, refiner: st, compose: `${FLOW}\nprompts: [a]` }));
  assert.ok(
    got.includes(
      "p.yaml:20:18: error: `base`: objective flow_matching is trained by the built-in backend only; moe does not write SimpleTuner's flow-matching settings yet",
    ),
    got.join('\n'),
  );
});
