// The ajv settings every pipeline schema is compiled with, at run time and when precompiling: the two
// must agree, or a precompiled validator would report other errors than a freshly compiled one.
import { createHash } from 'node:crypto';
import type { JsonSchema } from '../../contract/step.js';

export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: false, allowUnionTypes: true } as const;

/** What identifies a schema among the precompiled validators: a digest of its JSON text. */
export function schemaKey(schema: JsonSchema): string {
  return `s${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 16)}`;
}
