// What a train.expert backend cannot honour is found by `moe validate`, with file:line:col.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openPipeline } from '../../src/app/open.js';
import type { Diagnostic } from '../../src/pipeline/index.js';
import { workflowRules } from '../../src/workflow/rules.js';

function expert(name: string, lines: string): string {
  return (
    `  ${name}:\n    step: train.expert\n    with:\n` +
    lines
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => `      ${l}\n`)
      .join('')
  );
}

async function check(nodes: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'moe-backend-rules-'));
  const file = join(dir, 'p.yaml');
  await writeFile(file, `version: 1\nname: b\nnodes:\n${nodes}`);
  const opened = await openPipeline(file, { rules: workflowRules });
  const diagnostics: readonly Diagnostic[] = opened.ok ? opened.value.warnings : opened.error.diagnostics;
  return diagnostics.map(
    (d) => `${d.range ? `${d.range.start.line}:${d.range.start.column}: ` : ''}${d.severity}: ${d.message}`,
  );
}

const ST = 'model: m\nimages: photos\nbackend: simpletuner';

test('simpletuner: a noise_schedule override and x-prediction are errors, batch size 1 a warning', async () => {
  const got = await check(
    expert(
      'base',
      `role: base\n${ST}\nbatch_size: 1\nprediction_type: sample\nnoise_schedule: { beta_schedule: linear }`,
    ),
  );
  assert.deepEqual(got, [
    "11:19: warning: `base`: batch_size 1 with backend simpletuner: SimpleTuner then ignores the expert's timestep range and draws from all of 0…999",
    '12:24: error: `base`: prediction_type sample is not implemented by SimpleTuner (it raises NotImplementedError)',
    "13:7: error: `base`: backend simpletuner cannot honour noise_schedule: SimpleTuner trains with the model's own scheduler config (only zero_snr and prediction_type change it)",
  ]);
});

test('simpletuner: the default batch size 1 is found too, at the node', async () => {
  assert.deepEqual(await check(expert('refiner', `role: refiner\n${ST}`)), [
    "4:3: warning: `refiner`: batch_size 1 (the default) with backend simpletuner: SimpleTuner then ignores the expert's timestep range and draws from all of 0…999",
  ]);
  assert.deepEqual(
    await check(expert('refiner', `role: refiner\n${ST}\nbatch_size: 8\nmixed_precision: bf16`)),
    [],
  );
});

test('builtin: mixed precision and SimpleTuner validation are errors', async () => {
  const got = await check(
    expert(
      'base',
      'role: base\nmodel: m\ncache: c\nmixed_precision: bf16\nvalidation: { every: 10, prompts: [a] }\nvalidation_using_datasets: true',
    ),
  );
  assert.deepEqual(got, [
    '10:24: error: `base`: mixed_precision bf16: the built-in backend trains in fp32 only',
    "11:7: error: `base`: validation is SimpleTuner's validation while training; the built-in backend has none (evaluate and compose.inference validate the experts)",
    "12:7: error: `base`: validation_using_datasets is SimpleTuner's validation while training; the built-in backend has none (evaluate and compose.inference validate the experts)",
  ]);
});
