// Canonical JSON: object keys sorted, no whitespace. Equal values always serialise to equal bytes, so
// their hashes can be compared.
import type { JsonValue } from '../pipeline/types.js';

export function canonicalJson(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (Array.isArray(value)) return `[${value.map((v: JsonValue) => canonicalJson(v)).join(',')}]`;
  const obj = value as Readonly<Record<string, JsonValue>>;
  const keys = Object.keys(obj);
  if (keys.length === 0) return '{}';
  keys.sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
