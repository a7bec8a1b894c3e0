// Loading valid pipelines: what the typed `Pipeline` holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.js';
import type { PipelineRule } from '../../src/pipeline/rule-api.js';
import { nodeId } from '../../src/util/brand.js';
import {
  FILE,
  commandStep,
  loaded,
  lookupOf,
  problems,
  steps,
  summary,
  tempDir,
  writePipeline,
} from './fixtures.js';

const EXAMPLE = `# yaml-language-server: $schema=../schemas/pipeline.schema.json
version: 1
name: example
params:
  strength: 0.35
  label: run
nodes:
  prepare:
    step: command
    with:
      run: "python prep.py --out $MOE_OUT/data"
      inputs: [prep.py, data/raw]
      outputs: { data: data }
  train:
    step: command
    with:
      run: "python train.py --data \${{ nodes.prepare.outputs.data }} --split \${{ 1 - params.strength }}"
      outputs: { model: model }
    resources: { cpu: 1.5, gpu: 1, memory: 4GB }
    retry: { limit: 2, backoff: 5s }
    timeout: 1h30m
  report:
    step: command
    needs: [train, prepare]
  early:
    step: command
`;

test('the example pipeline loads into a typed Pipeline', () => {
  const { pipeline, warnings, source } = loaded(EXAMPLE);
  assert.deepEqual(warnings, []);
  assert.equal(source, EXAMPLE);
  assert.equal(pipeline.file, FILE);
  assert.equal(pipeline.dir, '/work/pipelines');
  assert.equal(pipeline.name, 'example');
  assert.deepEqual(
    [...pipeline.params],
    [
      ['strength', 0.35],
      ['label', 'run'],
    ],
  );
  assert.deepEqual([...pipeline.nodes.keys()], ['prepare', 'train', 'report', 'early']);
  // `early` is ready as soon as `prepare`, but comes later in the file: ready nodes go in file order.
  assert.deepEqual(pipeline.order, ['prepare', 'train', 'report', 'early']);
  const train = pipeline.nodes.get(nodeId('train'));
  assert.ok(train);
  assert.equal(train.step, 'command');
  assert.deepEqual(train.needs, ['prepare'], 'the reference implies the edge');
  assert.deepEqual(train.resources, { cpu: 1.5, gpu: 1, memoryBytes: 4e9 });
  assert.deepEqual(train.retry, { limit: 2, backoffMs: 5000 });
  assert.equal(train.timeoutMs, 5_400_000);
  assert.deepEqual(`${train.range.start.line}:${train.range.start.column}`, '14:3');
  const report = pipeline.nodes.get(nodeId('report'));
  assert.deepEqual(report?.needs, ['prepare', 'train'], 'sorted, no duplicates');
  assert.deepEqual(report?.resources, { cpu: 1, gpu: 0, memoryBytes: undefined });
  assert.deepEqual(report?.retry, { limit: 0, backoffMs: 1000 });
  assert.equal(report?.timeoutMs, undefined);
  assert.equal(pipeline.executor, undefined);
  assert.deepEqual(pipeline.plugins, []);
});

test('expression ranges point at the exact column inside the YAML string', () => {
  const train = loaded(EXAMPLE).pipeline.nodes.get(nodeId('train'));
  assert.ok(train?.with.kind === 'map');
  const run = train.with.entries.find(([k]) => k === 'run')?.[1];
  assert.ok(run?.kind === 'interpolated');
  const exprs = run.parts.filter((p) => typeof p !== 'string');
  assert.deepEqual(
    exprs.map((e) => `${e.range.start.line}:${e.range.start.column}-${e.range.end.column}`),
    ['17:40-66', '17:82-101'],
  );
  assert.equal(EXAMPLE.split('\n')[16]?.slice(39, 65), 'nodes.prepare.outputs.data');
});

test('--param overrides are coerced to the declared type', () => {
  const p = loaded(EXAMPLE, { params: { strength: '0.5', label: '42' } }).pipeline;
  assert.deepEqual(
    [...p.params],
    [
      ['strength', 0.5],
      ['label', '42'],
    ],
  );
  const flags = `version: 1\nparams: { on: true, n: 1 }\nnodes: { a: { step: command } }\n`;
  assert.deepEqual(
    [...loaded(flags, { params: { on: 'false', n: '-2.5e1' } }).pipeline.params],
    [
      ['on', false],
      ['n', -25],
    ],
  );
  assert.deepEqual(problems(flags, { params: { on: 'yes', n: '0x10' } }), [
    'error: --param n=0x10: expected a number (the default is 1), got `0x10`',
    'error: --param on=yes: expected true or false (the default is true), got `yes`',
  ]);
});

test("the Slurm executor's settings are checked where they are written", () => {
  // Before, any key and value passed validation; the run then stopped with a message and no position.
  const text = (ex: string) => `version: 1\nexecutor: ${ex}\nnodes: { a: { step: command } }\n`;
  assert.deepEqual(
    problems(
      text(
        '{ kind: slurm, partiton: gpu, poll: 0, gpus_per_node: 1.5, command: [], qos: "", sbatch_flags: [1] }',
      ),
    ),
    [
      'p.yaml:2:26: error: unknown key `partiton` in `executor` [help: did you mean `partition`?]',
      'p.yaml:2:47: error: `executor.poll` must be > 0, got `0`',
      'p.yaml:2:65: error: `executor.gpus_per_node` must be a whole number, got the number `1.5`',
      'p.yaml:2:79: error: `executor.command` must have at least 1 item, got 0 [help: What a job runs (the job spec path is appended); default: this moe, `exec-node`.]',
      'p.yaml:2:88: error: `executor.qos` must not be empty',
      'p.yaml:2:107: error: `executor.sbatch_flags.0` must be a string, got the number `1`',
    ],
  );
  const good =
    '{ kind: slurm, partition: gpu, account: lab, qos: high, sbatch_flags: "--exclusive", poll: 0.5, gpus_per_node: 4, command: [moe, exec-node] }';
  assert.deepEqual(problems(text(good)), []);
  assert.deepEqual(problems(text('{ kind: local, partition: gpu }')), []);
});

test('executor and plugins', () => {
  const p = loaded(
    'version: 1\nplugins: [moe-plugin-x, ./local]\nexecutor: { kind: slurm, partition: gpu, sbatch_flags: [--exclusive] }\nnodes: { a: { step: command } }\n',
  ).pipeline;
  assert.deepEqual(p.plugins, ['moe-plugin-x', './local']);
  assert.deepEqual(p.executor, {
    kind: 'slurm',
    options: { partition: 'gpu', sbatch_flags: ['--exclusive'] },
  });
  assert.deepEqual(
    loaded('version: 1\nexecutor: local\nnodes: { a: { step: command } }\n').pipeline.executor,
    {
      kind: 'local',
      options: {},
    },
  );
});

test('the name defaults to the file name', () => {
  assert.equal(loaded('version: 1\nnodes: { a: { step: command } }\n').pipeline.name, 'p');
});

test('loadPipeline reads a file from disk', async () => {
  const dir = tempDir();
  const file = writePipeline(dir, 'demo.yaml', EXAMPLE);
  const r = await loadPipeline(file, { steps });
  assert.ok(r.ok);
  assert.equal(r.value.pipeline.file, join(dir, 'demo.yaml'));
});

test('rules see literal values with ranges, and params-only expressions evaluated', () => {
  const text = `version: 1
params: { strength: 0.35 }
nodes:
  base:
    step: train.expert
    with: { role: base, steps: 10, strength: "\${{ params.strength }}", prediction_type: epsilon }
  refiner:
    step: train.expert
    with: { role: refiner, steps: 10, strength: 0.3, prediction_type: v_prediction, data: "\${{ nodes.base.outputs.model }}" }
`;
  const sameKind: PipelineRule = (pipeline, ctx) => {
    const [a, b] = ctx.nodesOfStep('train.expert');
    if (a === undefined || b === undefined) return [];
    const out = [];
    for (const key of ['prediction_type', 'strength']) {
      const va = ctx.withValue(a.id, [key]);
      const vb = ctx.withValue(b.id, [key]);
      if (va && vb && va.value !== vb.value) {
        out.push({
          severity: 'error' as const,
          code: 'experts-differ',
          message: `\`${key}\` differs between \`${a.id}\` (${String(va.value)}) and \`${b.id}\` (${String(vb.value)})`,
          range: vb.range,
          related: [{ message: `\`${a.id}\` sets it here`, range: va.range }],
        });
      }
    }
    const data = ctx.withValue(b.id, ['data']);
    assert.deepEqual(data && { raw: data.raw, value: data.value }, {
      raw: '${{ nodes.base.outputs.model }}',
      value: undefined,
    });
    assert.equal(ctx.paramRange('strength')?.start.line, 2);
    return out;
  };
  assert.deepEqual(problems(text, { rules: [sameKind] }), [
    'p.yaml:9:49: error: `strength` differs between `base` (0.35) and `refiner` (0.3)',
    'p.yaml:9:71: error: `prediction_type` differs between `base` (epsilon) and `refiner` (v_prediction)',
  ]);
});

test('warnings from rules do not make the pipeline invalid', () => {
  const warn: PipelineRule = (pipeline) => [
    {
      severity: 'warning',
      code: 'advice',
      message: 'consider trailing spacing',
      range: [...pipeline.nodes.values()][0]!.range,
    },
  ];
  const r = loaded('version: 1\nnodes: { a: { step: command } }\n', { rules: [warn] });
  assert.deepEqual(r.warnings.map(summary), ['p.yaml:2:10: warning: consider trailing spacing']);
});

test('a step or rule that misbehaves is a diagnostic, not a crash', () => {
  const broken = lookupOf([
    {
      ...commandStep,
      name: 'throws',
      outputs: () => {
        throw new Error('boom');
      },
    },
    { ...commandStep, name: 'nothing', outputs: () => null as never },
  ]);
  const rule: PipelineRule = function explode() {
    throw new Error('bad rule');
  };
  assert.deepEqual(
    problems('version: 1\nnodes:\n  a: { step: throws }\n  b: { step: nothing }\n', {
      steps: broken,
      rules: [rule],
    }),
    [
      'error: internal error in validation rule explode: bad rule',
      'p.yaml:3:3: error: step type `throws` could not list its outputs: boom',
      'p.yaml:4:3: error: step type `nothing` listed its outputs as null, not a map of names to paths',
    ],
  );
});
