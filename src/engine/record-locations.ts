// Where each fingerprint's newest record lies in the record segments, kept for a run's whole length (the
// index is copied from the lines at its end) and for every record a rerun finds: packed as one slot per
// fingerprint in typed arrays, not an object with two boxed numbers per record (about 80 bytes a node).

/** Where a fingerprint's newest record lies: its segment's number and the line's byte range. */
export interface Location {
  readonly segment: number;
  readonly start: number;
  readonly end: number;
}

export class Locations {
  readonly #slots = new Map<string, number>();
  #segment = new Uint32Array(256);
  // Offsets as doubles: exact to 2^53, where 32 bits would stop at a 4 GB segment.
  #start = new Float64Array(256);
  #end = new Float64Array(256);

  get size(): number {
    return this.#slots.size;
  }

  /** Records `fingerprint`'s line; a newer line of the same fingerprint takes its slot. */
  set(fingerprint: string, segment: number, start: number, end: number): void {
    let slot = this.#slots.get(fingerprint);
    if (slot === undefined) {
      slot = this.#slots.size;
      if (slot === this.#segment.length) this.#grow();
      this.#slots.set(fingerprint, slot);
    }
    this.#segment[slot] = segment;
    this.#start[slot] = start;
    this.#end[slot] = end;
  }

  get(fingerprint: string): Location | undefined {
    const slot = this.#slots.get(fingerprint);
    if (slot === undefined) return undefined;
    return { segment: this.#segment[slot] ?? 0, start: this.#start[slot] ?? 0, end: this.#end[slot] ?? 0 };
  }

  has(fingerprint: string): boolean {
    return this.#slots.has(fingerprint);
  }

  keys(): IterableIterator<string> {
    return this.#slots.keys();
  }

  #grow(): void {
    const size = 2 * this.#segment.length;
    const segment = new Uint32Array(size);
    const start = new Float64Array(size);
    const end = new Float64Array(size);
    segment.set(this.#segment);
    start.set(this.#start);
    end.set(this.#end);
    this.#segment = segment;
    this.#start = start;
    this.#end = end;
  }
}
