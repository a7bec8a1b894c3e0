// `moe steps`: step types and their parameters, from each step's JSON Schema.
import type { JsonValue } from '../../pipeline/types.js';
import { colors, useColor } from './format.js';
import { CliFailure, EXIT } from './support.js';

export interface StepParam {
  readonly name: string;
  readonly type: string;
  readonly required: boolean;
  readonly description?: string;
  readonly default?: JsonValue;
}

export interface StepInfo {
  readonly name: string;
  readonly version: string;
  readonly origin: string;
  readonly description: string;
  readonly params: readonly StepParam[];
}

export async function stepsCommand(file: string | undefined, json: boolean): Promise<StepInfo[]> {
  const { stepRegistry } = await import('../../app/steps.js');
  const registry = await stepRegistry(file);
  if (!registry.ok) throw new CliFailure(registry.error.map((d) => d.message).join('\n'), EXIT.invalid);
  const infos: StepInfo[] = [];
  for (const name of registry.value.names()) {
    const step = registry.value.get(name);
    if (!step) continue;
    infos.push({
      name,
      version: step.version,
      origin: registry.value.originOf(name) ?? '',
      description: step.description,
      params: paramsOf(step.withSchema),
    });
  }
  if (!json) process.stdout.write(renderSteps(infos, useColor(process.stdout)));
  return infos;
}

type Schema = Readonly<Record<string, JsonValue>>;

function paramsOf(schema: Schema): StepParam[] {
  const props = schema['properties'];
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return [];
  const required = new Set(Array.isArray(schema['required']) ? schema['required'].map(String) : []);
  return Object.entries(props as Schema).map(([name, s]) => {
    const p = (typeof s === 'object' && s !== null && !Array.isArray(s) ? s : {}) as Schema;
    const description = p['description'];
    return {
      name,
      type: typeOf(p),
      required: required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      ...(p['default'] !== undefined ? { default: p['default'] } : {}),
    };
  });
}

function typeOf(p: Schema): string {
  if (Array.isArray(p['enum'])) return p['enum'].map((v) => JSON.stringify(v)).join(' | ');
  const t = p['type'];
  if (Array.isArray(t)) return t.join(' | ');
  if (t === 'array') {
    const items = p['items'];
    return typeof items === 'object' && items !== null && !Array.isArray(items)
      ? `${typeOf(items as Schema)}[]`
      : 'array';
  }
  return typeof t === 'string' ? t : 'any';
}

export function renderSteps(infos: readonly StepInfo[], color: boolean): string {
  const c = colors(color);
  const out: string[] = [];
  for (const s of infos) {
    out.push(
      `${c.bold(s.name)} ${c.dim(`v${s.version}${s.origin === 'built-in' ? '' : ` from ${s.origin}`}`)}  ${s.description}`,
    );
    for (const p of s.params) {
      const def = p.default !== undefined ? c.dim(` (default ${JSON.stringify(p.default)})`) : '';
      out.push(
        `    ${p.name}${p.required ? '' : '?'}: ${p.type}${def}${p.description ? c.dim(`  ${p.description}`) : ''}`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
