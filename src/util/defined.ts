// Optional fields under exactOptionalPropertyTypes: an absent value must be left out, not set to undefined.

/** `values` without its undefined entries, ready to spread into an object whose fields are optional. */
export function definedOnly<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
