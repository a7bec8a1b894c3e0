// Run-time check of a resolved `with` against its step's JSON Schema. The loader checks the block as
// written; after `${{ }}` evaluation a value may have another type (a parameter that is a string where a
// number is wanted), and a step must never see input its schema forbids. ajv is loaded only when a node
// actually runs, so fully cached runs do not pay for it.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonValue } from '../pipeline/types.js';
import type { StepDefinition } from '../contract/step.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

const compiled = new Map<StepDefinition<JsonValue>, ValidateFunction>();
let ajvInstance: Promise<{ compile(schema: object): ValidateFunction }> | undefined;

async function ajv(): Promise<{ compile(schema: object): ValidateFunction }> {
  ajvInstance ??= import('ajv/dist/2020.js').then((mod) => {
    const Ajv2020 = mod.Ajv2020;
    return new Ajv2020({ allErrors: true, strict: false });
  });
  return ajvInstance;
}

export async function checkWith(
  step: StepDefinition<JsonValue>,
  value: JsonValue,
): Promise<Result<void, string>> {
  let validate = compiled.get(step);
  if (!validate) {
    validate = (await ajv()).compile(step.withSchema);
    compiled.set(step, validate);
  }
  if (validate(value)) return ok(undefined);
  const problems = (validate.errors ?? []).map(
    (e) => `with${e.instancePath.replace(/\//g, '.')} ${e.message ?? 'is invalid'}`,
  );
  return err(`the resolved \`with\` does not match step ${step.name}: ${problems.join('; ')}`);
}
