/**
 * What can go wrong opening a safetensors file. Every failure names the file, and the tensor where one is
 * involved, so a user can tell which of many shards is broken and why.
 */
export type SafetensorsErrorReason =
  /** The file (or a shard named by an index) does not exist or cannot be read. */
  | 'io'
  /** The 8-byte header length is missing, too small, too large, or points past the end of the file. */
  | 'header-size'
  /** The header is not UTF-8 JSON holding an object. */
  | 'header-json'
  /** `__metadata__` is not an object of strings. */
  | 'metadata'
  /** A tensor entry is malformed: unknown dtype, bad shape, bad offsets, or a size that does not match. */
  | 'tensor'
  /** The tensors' byte ranges overlap, leave gaps, or do not cover the data region exactly. */
  | 'layout'
  /** A sharded checkpoint's index is malformed or disagrees with its shards. */
  | 'index';

export interface SafetensorsError {
  readonly reason: SafetensorsErrorReason;
  readonly file: string;
  readonly tensor?: string;
  /** One sentence for a person: `file: tensor "x": what is wrong`. */
  readonly message: string;
}

export function safetensorsError(
  reason: SafetensorsErrorReason,
  file: string,
  problem: string,
  tensor?: string,
): SafetensorsError {
  const where = tensor === undefined ? '' : `tensor ${JSON.stringify(tensor)}: `;
  const message = `${file}: ${where}${problem}`;
  return tensor === undefined ? { reason, file, message } : { reason, file, tensor, message };
}
