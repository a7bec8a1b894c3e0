// A step's defaults are written once, beside its schema (`X_DEFAULTS`, which the schema's `default`s
// read); the step fills them into its `with` block with `withDefaults`, so no default is repeated in code.

/** `W` with the settings `D` gives defaults for no longer optional. */
export type WithDefaults<W, D> = Omit<W, keyof D> & {
  readonly [K in keyof D & keyof W]-?: Exclude<W[K], undefined>;
};

/** The `with` block with each setting the pipeline leaves out taken from `defaults`. */
export function withDefaults<W extends object, D extends { readonly [K in keyof W]?: W[K] }>(
  given: W,
  defaults: D,
): WithDefaults<W, D> {
  const filled: Record<string, unknown> = { ...(given as Record<string, unknown>) };
  for (const [key, value] of Object.entries(defaults)) if (filled[key] === undefined) filled[key] = value;
  return filled as WithDefaults<W, D>;
}
