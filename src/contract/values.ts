// The plain values every layer shares: JSON as a pipeline writes it, and the resources a node asks for.
// They sit below both the pipeline loader and the step contract so neither has to import the other.

export type JsonScalar = string | number | boolean | null;
export type JsonValue = JsonScalar | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Resources a node asks for; the scheduler never over-commits them. */
export interface Resources {
  readonly cpu: number;
  /** Bytes; undefined when the node does not say. */
  readonly memoryBytes: number | undefined;
  /** Number of whole GPUs; each running node gets its own device ids. */
  readonly gpu: number;
}
