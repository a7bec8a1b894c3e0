/**
 * Holds one copy of each distinct tensor. An embedding cache repeats its prompt embeddings: every image
 * with the same caption has bit-identical prompt_embeds and pooled vectors (tiny.yaml: 480 items, 48
 * captions), so a preloaded cache that keeps one array per content holds 1.2 MB of them where one per
 * item would hold 9.4 MB, in each expert that trains. Arrays are compared by their bits (−0 and NaN
 * payloads included), after a hash, so a shared array is always one an item would have held.
 */
export class TensorInterner {
  private readonly byHash = new Map<string, Float32Array[]>();

  /** `data`, or an earlier array with exactly the same values (which the caller must not write into). */
  intern(data: Float32Array): Float32Array {
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    const key = `${data.length}:${hashBits(bits)}`;
    const candidates = this.byHash.get(key);
    if (candidates === undefined) {
      this.byHash.set(key, [data]);
      return data;
    }
    for (const c of candidates)
      if (sameBits(new Uint32Array(c.buffer, c.byteOffset, c.length), bits)) return c;
    candidates.push(data);
    return data;
  }
}

/** FNV-1a over 32-bit words, as a hex string. */
function hashBits(bits: Uint32Array): string {
  let h = 0x811c9dc5;
  for (const word of bits) h = Math.imul(h ^ word, 0x01000193);
  return (h >>> 0).toString(16);
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
