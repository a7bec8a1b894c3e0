// What every importer returns, whatever trainer's configuration it reads.

/** The pipeline YAML, each option that could not be carried over (`N`: the importer's record of one), and notes. */
export interface Imported<N> {
  readonly yaml: string;
  readonly notCarried: readonly N[];
  readonly notes: readonly string[];
  /** The files read (the configs given and those they name): `-o` must not overwrite one of them. */
  readonly sources: readonly string[];
}
