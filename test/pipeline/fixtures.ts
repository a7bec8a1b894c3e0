// Step types and helpers the pipeline tests share. The steps here are stand-ins defined by the tests, so
// the expected diagnostics do not change when the real built-in steps evolve.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Diagnostic } from '../../src/pipeline/diagnostic.js';
import { loadPipelineText } from '../../src/pipeline/load.js';
import type { LoadOptions, LoadedPipeline } from '../../src/pipeline/load.js';
import type { StepLookup } from '../../src/contract/lookup.js';
import type { JsonValue } from '../../src/pipeline/types.js';
import type { StepDefinition } from '../../src/contract/step.js';

const isMap = (v: JsonValue | undefined): v is Readonly<Record<string, JsonValue>> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const commandStep: StepDefinition = {
  name: 'command',
  version: '1',
  description: 'run a shell command',
  withSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      run: { type: 'string' },
      argv: { type: 'array', items: { type: 'string' } },
      inputs: { type: 'array', items: { type: 'string' } },
      outputs: { type: 'object', additionalProperties: { type: 'string' } },
      env: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
  shellFields: ['run'],
  outputs(w) {
    const out = isMap(w) ? w['outputs'] : undefined;
    const result: Record<string, string> = {};
    if (isMap(out)) for (const [k, v] of Object.entries(out)) if (typeof v === 'string') result[k] = v;
    return result;
  },
  inputs(w) {
    const list = isMap(w) ? w['inputs'] : undefined;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  },
  run: () => Promise.resolve(undefined),
};

export const trainStep: StepDefinition = {
  name: 'train.expert',
  version: '1',
  description: 'train one expert',
  withSchema: {
    type: 'object',
    required: ['role', 'steps'],
    additionalProperties: false,
    properties: {
      role: { enum: ['base', 'refiner'] },
      steps: { type: 'integer', minimum: 1 },
      strength: { type: 'number', minimum: 0, maximum: 1 },
      prediction_type: { enum: ['epsilon', 'v_prediction', 'sample'] },
      zero_snr: { type: 'boolean' },
      data: { type: 'string' },
    },
  },
  outputs: () => ({ model: 'model', checkpoints: 'checkpoints' }),
  run: () => Promise.resolve(undefined),
};

export function lookupOf(steps: readonly StepDefinition[]): StepLookup {
  const byName = new Map(steps.map((s) => [s.name, s as unknown as StepDefinition<never>]));
  return { get: (n) => byName.get(n), names: () => [...byName.keys()].sort() };
}

export const steps = lookupOf([commandStep, trainStep]);

export const FILE = '/work/pipelines/p.yaml';

export function load(text: string, options: Partial<LoadOptions> = {}) {
  return loadPipelineText(FILE, text, { steps, ...options });
}

export function loaded(text: string, options: Partial<LoadOptions> = {}): LoadedPipeline {
  const r = load(text, options);
  if (!r.ok)
    throw new Error(`expected a valid pipeline, got:\n${r.error.diagnostics.map(summary).join('\n')}`);
  return r.value;
}

/** `p.yaml:7:5: error: message [help: …]`: what a user reads first, one line per diagnostic. */
export function summary(d: Diagnostic): string {
  const at = d.range ? `${basename(d.range.file)}:${d.range.start.line}:${d.range.start.column}: ` : '';
  const help = d.suggestion !== undefined ? ` [help: ${d.suggestion}]` : '';
  return `${at}${d.severity}: ${d.message}${help}`;
}

export function problems(text: string, options: Partial<LoadOptions> = {}): string[] {
  const r = load(text, options);
  if (r.ok) return r.value.warnings.map(summary);
  return r.error.diagnostics.map(summary);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'moe-pipeline-'));
}

export function writePipeline(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A layered DAG like the engine benchmark: `layers` × `width` command nodes, 3 parents each. */
export function layeredPipeline(layers: number, width: number): string {
  const lines = ['version: 1', 'name: generated', 'params:', '  scale: 2', 'nodes:'];
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      const id = `n${l}_${w}`;
      lines.push(`  ${id}:`, '    step: command', '    with:');
      if (l === 0) {
        lines.push(`      run: "echo ${id} > $MOE_OUT/out"`);
      } else {
        const parents = [0, 1, 2].map((k) => `\${{ nodes.n${l - 1}_${(w + k * 7) % width}.outputs.out }}`);
        lines.push(`      run: "cat ${parents.join(' ')} > $MOE_OUT/out"`);
      }
      lines.push('      outputs: { out: out }', '    resources: { cpu: 1 }');
    }
  }
  return lines.join('\n') + '\n';
}
