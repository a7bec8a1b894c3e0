// The workflow's cross-stage rules load only for a pipeline that uses a step they look at (RuleSet.steps,
// src/engine/open.ts): a command-only pipeline's cold run does without them and their diffusion modules.
// What must not change: every diagnostic a pipeline had with the rules it still has, wherever its steps
// come from (plain text, escapes the quick text test cannot see) and whether or not it is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogueSteps } from '../../src/app/steps.js';
import { openPipeline } from '../../src/engine/open.js';
import type { OpenedPipeline, OpenFailure, RuleSet } from '../../src/engine/open.js';
import type { PipelineRule, RuleContext } from '../../src/pipeline/rule-api.js';
import { loadPipelineText } from '../../src/pipeline/load.js';
import type { Result } from '../../src/util/result.js';
import { WORKFLOW_RULE_STEPS } from '../../src/workflow/rule-steps.js';
import { workflowRules } from '../../src/workflow/rules.js';
import { expertsPipeline } from '../workflow/rule-pipelines.js';
import { moe } from '../cli/helpers.js';

const COMMANDS = `version: 1
name: commands
nodes:
  a:
    step: command
    with:
      run: echo evaluate > "$MOE_OUT/a.txt"
      outputs: { a: a.txt }
  b:
    step: command
    with:
      run: cat \${{ nodes.a.outputs.a }} > "$MOE_OUT/b.txt"
      outputs: { b: b.txt }
`;

/** Strengths that do not tile the schedule: an error of the workflow rules only. */
const MISMATCH = expertsPipeline({
  name: 'rules',
  params: { strength: 0.35 },
  base: 'strength: 0.4',
  refiner: 'strength: 0.35',
  compose: 'split: 0.6\nprompts: [a]',
});
const STRENGTH_ERROR =
  'p.yaml:26:17: error: strength differs: base `base` 0.4 (timesteps 400…999), refiner `refiner` 0.35 (0…349); timesteps 350…399 belong to neither expert. The ranges must tile 0…999';

/** The workflow rules behind a RuleSet that counts its loads. */
function counted(): { set: RuleSet; loads: () => number } {
  let loads = 0;
  const set: RuleSet = {
    identity: 'workflow',
    steps: WORKFLOW_RULE_STEPS,
    load: () => {
      loads++;
      return Promise.resolve(workflowRules);
    },
  };
  return { set, loads: () => loads };
}

const dir = mkdtempSync(join(tmpdir(), 'moe-lazy-rules-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Opens `text` as `p.yaml` in one folder, so that two opens can be compared ranges and all. */
async function open(
  text: string,
  rules: RuleSet | readonly PipelineRule[],
): Promise<Result<OpenedPipeline, OpenFailure>> {
  writeFileSync(join(dir, 'p.yaml'), text);
  return await openPipeline(join(dir, 'p.yaml'), { steps: catalogueSteps, rules });
}

/** Diagnostics as `p.yaml:line:col: severity: message`. */
function lines(r: Result<OpenedPipeline, OpenFailure>): string[] {
  const ds = r.ok ? r.value.warnings : r.error.diagnostics;
  return ds.map(
    (d) =>
      `${d.range ? `p.yaml:${d.range.start.line}:${d.range.start.column}: ` : ''}${d.severity}: ${d.message}`,
  );
}

const plain = (r: Result<OpenedPipeline, OpenFailure>): unknown =>
  r.ok
    ? JSON.parse(
        JSON.stringify({
          ...r.value.pipeline,
          params: [...r.value.pipeline.params],
          nodes: [...r.value.pipeline.nodes],
        }),
      )
    : lines(r);

test('a command-only pipeline opens without loading the rules, and exactly as it did with them', async () => {
  const lazy = counted();
  const without = await open(COMMANDS, lazy.set);
  assert.equal(lazy.loads(), 0, "the rules' modules are not loaded");
  const eager = await open(COMMANDS, workflowRules);
  assert.ok(without.ok && eager.ok);
  assert.deepEqual(plain(without), plain(eager));
  assert.deepEqual(lines(without), lines(eager));
});

test('an invalid command-only pipeline is checked with the rules too: the same diagnostics', async () => {
  const bad = COMMANDS.replace('outputs: { b: b.txt }', 'outputs: { b: b.txt }\n      colour: red').replace(
    '${{ nodes.a.outputs.a }}',
    '${{ nodes.z.outputs.a }}',
  );
  const lazy = counted();
  const r = await open(bad, lazy.set);
  assert.equal(lazy.loads(), 1);
  assert.ok(!r.ok);
  assert.deepEqual(lines(r), lines(await open(bad, workflowRules)));
  assert.ok(lines(r).length >= 2, lines(r).join('\n'));
});

test('a workflow-rule violation is still reported at its file:line:col', async () => {
  const lazy = counted();
  const r = await open(MISMATCH, lazy.set);
  assert.equal(lazy.loads(), 1);
  assert.deepEqual(lines(r), [STRENGTH_ERROR]);
});

test('steps named with escapes the text test cannot see still get the rules (checked on the built pipeline)', async () => {
  const escaped = MISMATCH.replaceAll('step: train.expert', 'step: "train\\x2eexpert"').replace(
    'step: compose.inference',
    'step: "compose\\x2einference"',
  );
  assert.ok(!WORKFLOW_RULE_STEPS.some((s) => escaped.includes(s)), 'the text names none of the steps');
  const lazy = counted();
  const r = await open(escaped, lazy.set);
  assert.equal(lazy.loads(), 1);
  assert.deepEqual(lines(r), [STRENGTH_ERROR]);
});

test('the workflow rules look only at nodes of the steps they declare', async () => {
  const every = await catalogueSteps('/tmp/p.yaml', MISMATCH, undefined);
  assert.ok(every.ok);
  const asked = new Set<string>();
  const watched = workflowRules.map(
    (rule): PipelineRule =>
      (pipeline, ctx) =>
        rule(pipeline, {
          withValue: (node, path) => ctx.withValue(node, path),
          paramRange: (name) => ctx.paramRange(name),
          nodesOfStep: (step) => {
            asked.add(step);
            return ctx.nodesOfStep(step);
          },
        } satisfies RuleContext),
  );
  const r = loadPipelineText('/tmp/p.yaml', MISMATCH, { steps: every.value, rules: watched });
  assert.ok(!r.ok, 'the violation is found through the watched context');
  assert.ok(asked.size > 0);
  for (const step of asked) assert.ok(WORKFLOW_RULE_STEPS.includes(step), `${step} is declared`);
});

test('moe run reports a workflow-rule violation with file:line:col and exits 2', () => {
  writeFileSync(join(dir, 'p.yaml'), MISMATCH);
  const r = moe(['run', 'p.yaml'], dir);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /p\.yaml:26:17: error: strength differs/);
  assert.doesNotMatch(r.stderr, /\s+at .*\.js:\d+/);
});
