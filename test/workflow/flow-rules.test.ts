// The cross-stage rules of flow-matching pairs, as `moe validate` reports them (file:line:col): one objective
// and one shift for both experts and the sampler, and compose/evaluate splitting at the training boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExpertsPipeline } from './rule-pipelines.js';
import { expertsPipeline, ruleDiagnostics } from './rule-pipelines.js';

/** The pipeline around two train.expert nodes and one consumer; `base`, `refiner`, `compose` are extra `with` lines. */
const pipeline = (o: Omit<ExpertsPipeline, 'name' | 'params'>): string =>
  expertsPipeline({ name: 'flow-rules', params: { boundary: 0.875, shift: 3 }, ...o });
const check = ruleDiagnostics;

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

test('what a node refuses when it starts is an error at validation: sampler, split, a second boundary, stray keys', async () => {
  // Before, each of these passed `moe validate` and failed only when the node ran (compose after both
  // experts had trained).
  const got = await check(
    pipeline({
      base: `${FLOW}\nstrength: 0.2`,
      refiner: `${FLOW}\nprediction_type: v_prediction`,
      compose: `${FLOW}\nscheduler: ddim\nsplit: 0.125\nprompts: [a]`,
    }),
  );
  // Only "remove prediction_type": not also "set prediction_type on `base` too", which contradicted it.
  assert.deepEqual(got, [
    'p.yaml:23:7: error: `base`: boundary and strength both give the flow-matching boundary',
    'p.yaml:33:7: error: `refiner`: prediction_type is not used with objective: flow_matching (the model predicts ε − x₀ at t = 1000·σ)',
    'p.yaml:43:18: error: `compose`: objective flow_matching samples with flow_euler or unipc (on flow sigmas), not ddim',
    'p.yaml:44:7: error: `compose`: split is not used with objective: flow_matching (the model predicts ε − x₀ at t = 1000·σ; the hand-off is the boundary)',
  ]);
  // zero_snr on one flow expert: one error at the key, no DDPM pair mismatch or zero-SNR sampling advice.
  assert.deepEqual(
    await check(
      pipeline({ base: FLOW, refiner: `${FLOW}\nzero_snr: true`, compose: `${FLOW}\nprompts: [a]` }),
    ),
    [
      'p.yaml:32:7: error: `refiner`: zero_snr is not used with objective: flow_matching (the model predicts ε − x₀ at t = 1000·σ)',
    ],
  );
  // The other way round: flow settings on diffusion nodes.
  assert.deepEqual(
    await check(
      pipeline({ base: 'shift: 3', refiner: 'shift: 3', compose: 'scheduler: flow_euler\nprompts: [a]' }),
    ),
    [
      'p.yaml:20:7: error: `base`: shift is only read with objective: flow_matching (this node trains or samples a diffusion model)',
      'p.yaml:27:7: error: `refiner`: shift is only read with objective: flow_matching (this node trains or samples a diffusion model)',
      "p.yaml:34:18: error: `compose`: scheduler flow_euler samples flow-matching models, but this node's objective is diffusion",
    ],
  );
  // A sampler given by an expression is judged by its value.
  const sampler = (expr: string) =>
    check(
      pipeline({ base: FLOW, refiner: FLOW, compose: `${FLOW}\nscheduler: \${{ ${expr} }}\nprompts: [a]` }),
    );
  assert.deepEqual(await sampler("'uni' + 'pc'"), []);
  assert.deepEqual(await sampler("'dd' + 'im'"), [
    'p.yaml:41:18: error: `compose`: objective flow_matching samples with flow_euler or unipc (on flow sigmas), not ddim',
  ]);
});

test("a density key the node's timestep_density does not read is an error, at validation and when the step starts", async () => {
  // Before, logit_std with timestep_density: mode (or mode_scale with logit_normal, the default) was
  // silently ignored: the expert trained on a density other than the one the file seems to ask for.
  const got = await check(
    pipeline({
      base: `${FLOW}\ntimestep_density: mode\nlogit_std: 2`,
      refiner: `${FLOW}\nmode_scale: 1.5`,
      compose: `${FLOW}\nprompts: [a]`,
    }),
  );
  assert.deepEqual(got, [
    'p.yaml:24:7: error: `base`: logit_std is only read with timestep_density: logit_normal; this node has timestep_density mode',
    'p.yaml:34:7: error: `refiner`: mode_scale is only read with timestep_density: mode; this node has timestep_density logit_normal (the default)',
  ]);
  const { resolveFlow } = await import('../../src/workflow/flow-objective.js');
  const run = resolveFlow({ objective: 'flow_matching', timestep_density: 'uniform', logit_mean: 0.5 });
  assert.equal(
    run.ok ? '' : run.error,
    'logit_mean: only read with timestep_density: logit_normal; this node has timestep_density uniform; set timestep_density: logit_normal or remove logit_mean',
  );
  assert.equal(resolveFlow({ objective: 'flow_matching', timestep_density: 'mode', mode_scale: 1 }).ok, true);
});
