// The oclif flags of a command, derived from its entry in the flag table (src/cli/flags.ts), with the
// types oclif's `this.parse` would infer from hand-written `Flags.string(…)` calls.
import { Flags } from '@oclif/core';
import type { Interfaces } from '@oclif/core';
import type { FlagSpec, FlagTable } from '../flags.js';

type Scalar<F extends FlagSpec> = F['kind'] extends 'integer' ? number : string;

/** The oclif flag a table entry becomes: lists for `multiple`, defined values for a default. */
export type OclifFlag<F extends FlagSpec> = F['kind'] extends 'boolean'
  ? Interfaces.BooleanFlag<boolean>
  : F extends { readonly multiple: true }
    ? Interfaces.OptionFlag<Scalar<F>[]>
    : F extends { readonly default: number | string }
      ? Interfaces.OptionFlag<Scalar<F>>
      : Interfaces.OptionFlag<Scalar<F> | undefined>;

export type OclifFlags<T extends FlagTable> = { [K in keyof T]: OclifFlag<T[K]> };

export function oclifFlags<T extends FlagTable>(table: T): OclifFlags<T> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) out[name] = oclifFlag(spec);
  return out as OclifFlags<T>;
}

function oclifFlag(f: FlagSpec): unknown {
  // oclif's option types are overloads keyed on literal `multiple`; the table's type above keeps the
  // result exact, so the options are assembled loosely here.
  const options: Record<string, unknown> = { description: f.description };
  if (f.char !== undefined) options['char'] = f.char;
  if (f.kind === 'boolean') return Flags.boolean(options);
  if (f.multiple === true) Object.assign(options, { multiple: true, default: [] });
  if (f.options !== undefined) options['options'] = [...f.options];
  if (f.min !== undefined) options['min'] = f.min;
  if (f.default !== undefined) options['default'] = f.default;
  return f.kind === 'integer' ? Flags.integer(options as never) : Flags.string(options as never);
}
