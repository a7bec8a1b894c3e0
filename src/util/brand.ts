/** A nominal type: a `string` that must be created on purpose, so ids and digests cannot be mixed up. */
export type Brand<T, B extends string> = T & { readonly __brand: B };

/** The id of a node in a pipeline (the key under `nodes:`). */
export type NodeId = Brand<string, 'NodeId'>;

/** A lowercase hex sha256 digest. */
export type Digest = Brand<string, 'Digest'>;

export const nodeId = (s: string): NodeId => s as NodeId;
export const digest = (s: string): Digest => s as Digest;
