// Run-time check of a resolved `with` against its step's JSON Schema. The loader checks the block as
// written; after `${{ }}` evaluation a value may have another type (a parameter that is a string where a
// number is wanted), and a step must never see input its schema forbids. The validators are the loader's
// (precompiled at build time for built-in steps, so a run compiles no schema); they are loaded only when
// a node actually runs, so fully cached runs do not pay for them.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonValue, WithTemplate } from '../pipeline/types.js';
import type { SourceRange } from '../pipeline/diagnostic.js';
import type { compileSchema as CompileSchema } from '../pipeline/schema/validate.js';
import type { StepDefinition } from '../contract/step.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

const compiled = new Map<StepDefinition<JsonValue>, ValidateFunction | { error: string }>();
let loader: Promise<{ compileSchema: typeof CompileSchema }> | undefined;

export async function checkWith(
  step: StepDefinition<JsonValue>,
  value: JsonValue,
  written?: WithTemplate,
): Promise<Result<void, string>> {
  const known = checkWithLoaded(step, value, written);
  if (known !== undefined) return known;
  loader ??= import('../pipeline/schema/validate.js');
  compiled.set(step, (await loader).compileSchema(step.withSchema));
  return checkWithLoaded(step, value, written) ?? ok(undefined);
}

/**
 * Where the value at `pointer` (ajv's instancePath, `/a/0`) was written in the `with` block: the range of
 * the deepest template part on the path (an expression yielding the whole value counts as its place).
 */
function writtenAt(written: WithTemplate, pointer: string): SourceRange {
  let at = written;
  for (const key of pointer.split('/').slice(1)) {
    const next =
      at.kind === 'map'
        ? at.entries.find(([k]) => k === key)?.[1]
        : at.kind === 'list'
          ? at.items[Number(key)]
          : undefined;
    if (next === undefined) break;
    at = next;
  }
  return at.range;
}

/**
 * The same check without waiting, once the step's validator is loaded (after its first node); undefined
 * before. A node that need not wait here reaches its job's start in the same turn of the event loop.
 */
export function checkWithLoaded(
  step: StepDefinition<JsonValue>,
  value: JsonValue,
  written?: WithTemplate,
): Result<void, string> | undefined {
  const validate = compiled.get(step);
  if (!validate) return undefined;
  if ('error' in validate) return err(`step ${step.name} has an invalid \`with\` schema: ${validate.error}`);
  if (validate(value)) return ok(undefined);
  const problems = (validate.errors ?? []).map((e) => {
    const r = written && writtenAt(written, e.instancePath);
    const place = r ? `${r.file}:${r.start.line}:${r.start.column}: ` : '';
    return `${place}with${e.instancePath.replace(/\//g, '.')} ${e.message ?? 'is invalid'}`;
  });
  return err(`the resolved \`with\` does not match step ${step.name}: ${problems.join('; ')}`);
}
