// `moe validate` and the editor agree: for each pipeline here, the editor schema of the built-in steps
// (checked with ajv, the same JSON Schema the YAML language server reads) accepts it exactly when moe's
// loader does. Expressions are used only where they type-check, since the editor cannot type them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { loadPipelineText } from '../../src/pipeline/load.js';
import { buildPipelineSchema } from '../../src/pipeline/schema/generate.js';
import { builtinSteps } from '../../src/steps/builtin.js';
import { StepRegistry } from '../../src/steps/registry.js';

const HEAD = `version: 1
params: { lr: cosine, bs: 4, s: 0.35, backend: builtin, t: 10s }
nodes:
  m: { step: models.tiny }
`;

const train = (extra: string): string => `${HEAD}  t:
    step: train.expert
    with:
      role: base
      model: \${{ nodes.m.outputs.model }}
      cache: data/cache
${extra}`;

/** An invalid case says what moe's message names and where the editor schema's error points. */
interface Case {
  readonly text: string;
  readonly valid: boolean;
  readonly moe?: RegExp;
  readonly editor?: string;
}

const CASES: Record<string, Case> = {
  'expressions in number, enum and anyOf fields': {
    text: `${train(`      lr_scheduler: \${{ params.lr }}
      batch_size: \${{ params.bs }}
      strength: \${{ params.s }}
      learning_rate: \${{ params.s / 1000 }}
`)}  c:
    step: compose.inference
    with:
      model: \${{ nodes.m.outputs.model }}
      base: \${{ nodes.t.outputs.unet }}
      refiner: \${{ nodes.t.outputs.unet }}
      split: \${{ 1 - params.s }}
      steps: \${{ params.bs * 10 }}
      prompts: ['a red circle', 'text around \${{ params.lr }}']
`,
    valid: true,
  },
  'literals of the right types': {
    text: train(
      '      lr_scheduler: linear\n      batch_size: 2\n      noise_schedule: { beta_end: 0.012 }\n',
    ),
    valid: true,
  },
  'a misspelt step': {
    text: `${HEAD}  x: { step: train.expret, with: { role: base } }\n`,
    valid: false,
    moe: /unknown step type `train.expret`/,
    editor: '/nodes/x/step',
  },
  'a bad enum value': {
    text: train('      lr_scheduler: cosin\n'),
    valid: false,
    moe: /`nodes.t.with.lr_scheduler` must be one of/,
    editor: '/nodes/t/with/lr_scheduler',
  },
  'an unknown key': {
    text: train('      batch_sise: 2\n'),
    valid: false,
    moe: /unknown key `batch_sise`/,
    editor: '/nodes/t/with',
  },
  'an unknown nested key': {
    text: train('      noise_schedule: { beta_ned: 0.012 }\n'),
    valid: false,
    moe: /unknown key `beta_ned`/,
    editor: '/nodes/t/with/noise_schedule',
  },
  'a wrong literal type': {
    text: train('      batch_size: sixteen\n'),
    valid: false,
    moe: /`nodes.t.with.batch_size` must be a whole number/,
    editor: '/nodes/t/with/batch_size',
  },
  'a number out of range': {
    text: train('      strength: 1.5\n'),
    valid: false,
    moe: /`nodes.t.with.strength` must be < 1/,
    editor: '/nodes/t/with/strength',
  },
  'a step with required parameters and no `with`': {
    text: `${HEAD}  x: { step: train.expert }\n`,
    valid: false,
    moe: /`nodes.x.with` is missing `role`/,
    editor: '/nodes/x',
  },
  'an expression outside `with`': {
    text: `${HEAD}  x: { step: command, timeout: '\${{ params.t }}', with: { run: 'true' } }\n`,
    valid: false,
    moe: /`nodes.x.timeout` holds a `\$\{\{ \}\}` expression/,
    editor: '/nodes/x/timeout',
  },
  // The condition of the step's if/then/else sees the text, as moe's loader does: the expression is not
  // `simpletuner`, so the built-in backend's `cache` is required.
  'an expression in a condition field': {
    text: `${HEAD}  x:
    step: train.expert
    with: { role: base, model: '\${{ nodes.m.outputs.model }}', backend: '\${{ params.backend }}' }
`,
    valid: false,
    moe: /`nodes.x.with` is missing `cache`/,
    editor: '/nodes/x/with',
  },
};

const withDefaults = (defaults: string, nodes: string): string =>
  HEAD.replace('nodes:\n', `defaults:\n${defaults}nodes:\n`) + nodes;

const DEFAULTS_CASES: Record<string, Case> = {
  'defaults supply the required parameters': {
    text: withDefaults(
      "  train.expert:\n    with: { model: '${{ nodes.m.outputs.model }}', cache: data/cache, lr_scheduler: cosine }\n",
      '  t: { step: train.expert, with: { role: base } }\n  u: { step: train.expert, with: { role: refiner } }\n',
    ),
    valid: true,
  },
  'a node with no `with`, all of it from defaults': {
    text: withDefaults(
      "  train.expert:\n    with: { role: base, model: '${{ nodes.m.outputs.model }}', cache: data/cache }\n",
      '  t: { step: train.expert }\n',
    ),
    valid: true,
  },
  'a required parameter in neither the node nor the defaults': {
    text: withDefaults(
      '  train.expert:\n    with: { cache: data/cache }\n',
      '  t: { step: train.expert, with: { role: base } }\n',
    ),
    valid: false,
    moe: /`nodes.t.with` is missing `model`/,
    editor: '/nodes/t/with',
  },
  'defaults for an unknown step type': {
    text: withDefaults('  train.expret:\n    with: { role: base }\n', ''),
    valid: false,
    moe: /defaults for unknown step type `train.expret`/,
    editor: '/defaults',
  },
  'a bad value in defaults': {
    text: withDefaults(
      "  train.expert:\n    with: { model: '${{ nodes.m.outputs.model }}', cache: data/cache, lr_scheduler: cosin }\n",
      '  t: { step: train.expert, with: { role: base } }\n',
    ),
    valid: false,
    moe: /lr_scheduler` must be one of/,
    editor: '/defaults/train.expert/with/lr_scheduler',
  },
};

test('the editor schema and moe validate accept and reject the same pipelines', async () => {
  const steps = await builtinSteps();
  const registry = new StepRegistry();
  for (const s of steps) registry.register(s, { origin: 'built-in' });
  const editor = new Ajv2020({ strict: false, allErrors: true }).compile(buildPipelineSchema(steps));
  for (const [name, { text, valid, moe, editor: at }] of Object.entries({ ...CASES, ...DEFAULTS_CASES })) {
    const loaded = loadPipelineText('/tmp/p.yaml', text, { steps: registry, rules: [] });
    const moeErrors = loaded.ok
      ? loaded.value.warnings.filter((d) => d.severity === 'error')
      : loaded.error.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(
      moeErrors.length === 0,
      valid,
      `${name}: moe says ${JSON.stringify(moeErrors.map((d) => d.message))}`,
    );
    assert.equal(
      editor(parse(text)),
      valid,
      `${name}: the editor schema says ${JSON.stringify(editor.errors)}`,
    );
    if (moe !== undefined)
      assert.ok(
        moeErrors.some((d) => moe.test(d.message)),
        `${name}: moe's message`,
      );
    if (at !== undefined)
      assert.ok(
        editor.errors?.some(
          (e) => e.instancePath === at && e.keyword !== 'if' && !e.message?.includes('"then"'),
        ),
        `${name}: the editor's error at ${at}: ${JSON.stringify(editor.errors)}`,
      );
  }
});
