// `moe steps` as a service: every step type (built-in, and the plugins of a pipeline) with its
// parameters, read from each step's JSON Schema.
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { JsonValue } from '../pipeline/types.js';
import type { Result } from '../util/result.js';
import { ok } from '../util/result.js';
import { checkedStepRegistry } from './steps.js';

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

export async function stepInfos(file: string | undefined): Promise<Result<StepInfo[], Diagnostic[]>> {
  const registry = await checkedStepRegistry(file);
  if (!registry.ok) return registry;
  const infos: StepInfo[] = [];
  for (const name of registry.value.names()) {
    const step = registry.value.get(name);
    if (!step) continue;
    infos.push({
      name,
      version: step.version,
      origin: registry.value.originOf(name) ?? '',
      description: typeof step.description === 'string' ? step.description : '',
      params: paramsOf(step.withSchema),
    });
  }
  return ok(infos);
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
    if (typeof items !== 'object' || items === null || Array.isArray(items)) return 'array';
    const item = typeOf(items as Schema);
    return item.includes(' | ') ? `(${item})[]` : `${item}[]`;
  }
  if (typeof t === 'string') return t;
  // A choice of shapes (a number or { base, refiner }): each one, not `any`, which would say a string does.
  const branches = p['oneOf'] ?? p['anyOf'];
  if (Array.isArray(branches) && branches.length > 0) {
    const kinds = branches.map((b) =>
      typeof b === 'object' && b !== null && !Array.isArray(b) ? typeOf(b as Schema) : 'any',
    );
    return kinds.includes('any') ? 'any' : [...new Set(kinds)].join(' | ');
  }
  return 'any';
}
