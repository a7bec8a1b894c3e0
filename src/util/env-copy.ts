/**
 * `{ ...base, NAME: value, … }` for a process environment, made per node without a hidden class per copy.
 *
 * V8 gives each object made by spreading an object of some forty properties and then adding more its
 * own map (hidden class and property descriptors): about 1.4 KB for each node's environment, which lives
 * as long as the node's job and so is promoted to the old generation, where only a full collection frees
 * it (a fifth of what a 10,000-node run promoted). An `EnvCopier` remembers the first environment it
 * extended as a template with the added names in place; a base with the same names in the same order
 * gets a copy of that template, filled in, and every copy shares the template's map: the same keys
 * in the same order with the same values as the spread, at about a quarter of the memory.
 */
export class EnvCopier {
  readonly #names: readonly string[];
  /** The keys of the base the template was made from, in order, and the template. */
  #keys: string[] | undefined;
  #template: Record<string, string> = {};

  /** `names`: the variables every copy adds after the base's (a base's own value of one is replaced). */
  constructor(names: readonly string[]) {
    this.#names = names;
  }

  /** The base with `values[i]` set for `names[i]`. */
  copy(base: Readonly<Record<string, string>>, values: readonly string[]): Record<string, string> {
    const names = this.#names;
    if (!this.#matches(base)) {
      // `__proto__` would be set by an assignment where the spread defines it: such a base is spread.
      if (Object.hasOwn(base, '__proto__')) return spread(base, names, values);
      this.#template = spread(
        base,
        names,
        names.map(() => ''),
      );
      this.#keys = Object.keys(base);
    }
    // The template holds the base's values (`#matches`): only the added names are set.
    const out = { ...this.#template };
    for (let i = 0; i < names.length; i++) out[names[i] as string] = values[i] ?? '';
    return out;
  }

  /**
   * Whether `base` has the template base's keys in the same order (checked without allocating); the
   * template then takes the base's values where they differ (a run's nodes share one base: none do).
   */
  #matches(base: Readonly<Record<string, string>>): boolean {
    const keys = this.#keys;
    if (keys === undefined) return false;
    const template = this.#template;
    let i = 0;
    for (const k in base) {
      if (keys[i] !== k || !Object.hasOwn(base, k)) return false;
      const v = base[k];
      if (typeof v !== 'string') return false;
      if (template[k] !== v) template[k] = v;
      i += 1;
    }
    return i === keys.length;
  }
}

/** `{ ...base, [names[i]]: values[i] }` (built from entries: an object given properties by defineProperty becomes a dictionary). */
function spread(
  base: Readonly<Record<string, string>>,
  names: readonly string[],
  values: readonly string[],
): Record<string, string> {
  const entries: [string, string][] = Object.entries(base);
  for (let i = 0; i < names.length; i++) entries.push([names[i] as string, values[i] ?? '']);
  return Object.fromEntries(entries) as Record<string, string>;
}
