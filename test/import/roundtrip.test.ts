// The seed's own stage-one and stage-two config.env (SimpleTuner's documentation/MIXTURE_OF_EXPERTS.md)
// imported into a moe pipeline, then exported back to SimpleTuner configs: every SimpleTuner option has
// the seed's effective value (what it set, else SimpleTuner's default from options.tsv), except the few
// that moe decides on purpose, each listed with its reason. pipelines/ssd1b.yaml exports the same.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkPipeline } from '../../src/app/validate.js';
import { exportSimpleTuner } from '../../src/export/simpletuner/index.js';
import { importSimpleTuner, readSimpleTunerConfig } from '../../src/import/simpletuner/index.js';
import { SIMPLETUNER_DEFAULTS } from '../../src/import/simpletuner/defaults.js';
import { referencePath } from '../fixtures/reference-data.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SEED = join(ROOT, 'test', 'fixtures', 'simpletuner-seed');

type V = string | number | boolean | undefined;
const norm = (v: unknown): V => {
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || v === 'true' || v === 'True') return true;
  if (v === false || v === 'false' || v === 'False') return false;
  if (typeof v === 'number') return v;
  const s = String(v);
  return s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s;
};

/** SimpleTuner's defaults by option name, from its argument parser (options.tsv, commit bc8e6ab). */
const DEFAULTS = new Map(
  readFileSync(referencePath('simpletuner', 'options.tsv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => {
      const [name = '', , dflt] = l.split('\t');
      return [name.replace(/^--/, ''), norm(dflt)] as const;
    }),
);

/** What moe decides itself, on purpose, and why. Anything else that differs fails the test. */
const DELIBERATE: Readonly<Record<string, string>> = {
  output_dir: "each expert's own folder",
  data_backend_config: 'the multidatabackend.json moe writes beside config.json',
  max_train_steps: 'moe counts optimizer steps (the seed trains one epoch: set train_steps for the data)',
  num_train_epochs: '0, so max_train_steps decides',
  seed: 'moe runs are reproducible: a fixed seed (SimpleTuner draws one)',
  validation_resolution: "the expert's resolution (SimpleTuner's 256 validates a 1024 model at a quarter)",
  report_to:
    "SimpleTuner's local tracker (training_metrics.jsonl), where moe reads the validation loss; no training setting",
};

function effective(options: Readonly<Record<string, unknown>>, name: string): V {
  const v = norm(options[name]);
  return v !== undefined ? v : DEFAULTS.get(name);
}

/** constant and constant_with_warmup are one schedule with no warm-up steps. */
function sameSchedule(a: V, b: V, warmup: V): boolean {
  const plain = new Set(['constant', 'constant_with_warmup']);
  return (warmup ?? 0) === 0 && plain.has(String(a)) && plain.has(String(b));
}

async function seedOptions(): Promise<Record<'base' | 'refiner', Record<string, unknown>>> {
  const s1 = await readSimpleTunerConfig(join(SEED, 'stage1.env'));
  const s2 = await readSimpleTunerConfig(join(SEED, 'stage2.env'));
  assert.ok(s1.ok && s2.ok);
  return { base: { ...s1.value.options }, refiner: { ...s2.value.options } };
}

async function exported(file: string, params: string[] = []) {
  const checked = await checkPipeline(file, params);
  assert.ok(checked.valid && checked.pipeline, checked.render(false));
  const out = mkdtempSync(join(tmpdir(), 'moe-export-'));
  const r = await exportSimpleTuner(checked.pipeline, out);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return { out, experts: r.value.experts, readme: r.value.readme };
}

function compare(
  seed: Record<string, unknown>,
  config: Readonly<Record<string, unknown>>,
  role: string,
): Record<string, string> {
  const differences: Record<string, string> = {};
  for (const name of new Set([...Object.keys(seed), ...Object.keys(config)])) {
    const want = effective(seed, name);
    const got = effective(config, name);
    if (want === got) continue;
    if (name === 'lr_scheduler' && sameSchedule(want, got, effective(config, 'lr_warmup_steps'))) continue;
    differences[name] = `${role}: seed ${String(want)}, export ${String(got)}`;
  }
  return differences;
}

test('the import writes out SimpleTuner defaults the seed relied on (checked against options.tsv)', () => {
  for (const [option, [, value]] of Object.entries(SIMPLETUNER_DEFAULTS)) {
    assert.equal(norm(value), DEFAULTS.get(option), `SimpleTuner's default for ${option}`);
  }
});

test("import then export of the seed's config.env files gives the seed's settings back, option by option", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moe-roundtrip-'));
  const imported = await importSimpleTuner({
    config: join(SEED, 'stage1.env'),
    stage2: join(SEED, 'stage2.env'),
    name: 'seed',
  });
  assert.ok(imported.ok, imported.ok ? '' : imported.error);
  // USE_BITFIT=false and USE_DORA=false are SimpleTuner flags left off, not unknown variables.
  assert.deepEqual(imported.value.notCarried, []);
  const file = join(dir, 'seed.yaml');
  writeFileSync(file, imported.value.yaml);
  const { experts, readme } = await exported(file);
  assert.deepEqual(experts.map((e) => [e.node, e.role]).sort(), [
    ['base', 'base'],
    ['refiner', 'refiner'],
  ]);
  const seed = await seedOptions();
  for (const e of experts) {
    const diff = compare(seed[e.role], e.files.config, e.role);
    assert.deepEqual(Object.keys(diff).sort(), Object.keys(DELIBERATE).sort(), JSON.stringify(diff, null, 2));
    assert.equal(e.files.config.gradient_checkpointing, true, 'USE_GRADIENT_CHECKPOINTING=true');
    assert.equal(e.files.config.validation_using_datasets, e.role === 'refiner' ? true : undefined);
    assert.deepEqual(JSON.parse(readFileSync(join(e.dir, 'config.json'), 'utf8')), e.files.config);
  }
  assert.match(readme, /cd .*\/base && simpletuner train num_processes=1/);
});

test('pipelines/ssd1b.yaml exports the seed settings, option by option', async () => {
  const { experts } = await exported(join(ROOT, 'pipelines', 'ssd1b.yaml'), ['data=/data/captioned']);
  const seed = await seedOptions();
  assert.equal(experts.length, 2);
  for (const e of experts) {
    const diff = compare(seed[e.role], e.files.config, e.role);
    assert.deepEqual(Object.keys(diff).sort(), Object.keys(DELIBERATE).sort(), JSON.stringify(diff, null, 2));
    const images = e.files.databackend.find((d) => d['id'] !== 'text-embeds');
    assert.equal(images?.['instance_data_dir'], '/data/captioned');
  }
});
