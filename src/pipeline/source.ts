// One loaded source file and the conversion from character offsets to line/column positions.
import type { Position, SourceRange } from './diagnostic.js';

export class SourceFile {
  /** Offsets at which each line starts. */
  private readonly lineStarts: number[] = [0];
  /** One copy of each short string read while loading (see `name`); dropped by `forgetNames`. */
  private names: Map<string, string> | undefined = new Map();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - (this.lineStarts[lo] ?? 0) + 1, offset: clamped };
  }

  range(start: number, end: number): SourceRange {
    return new OffsetRange(this, start, Math.max(start, end));
  }

  /**
   * The one copy of `s` this file's readers keep: keys, step names and expression paths repeat on every
   * node (a 10,000-node file held 12 copies of such words per node). Longer strings are rarely repeated.
   */
  name(s: string): string {
    if (s.length > 32 || this.names === undefined) return s;
    const known = this.names.get(s);
    if (known !== undefined) return known;
    this.names.set(s, s);
    return s;
  }

  /** Drops the table `name` keeps, once the loader is done with the file. */
  forgetNames(): void {
    this.names = undefined;
  }

  /** `range`'s two offsets when it is one of this file's ranges as read (not a copy of its positions). */
  offsetsOf(range: SourceRange): readonly [start: number, end: number] | undefined {
    return range instanceof OffsetRange && range.inFile(this)
      ? [range.startOffset, range.endOffset]
      : undefined;
  }

  /** The start of the file as a range (for problems about the file as such). */
  whole(): SourceRange {
    return this.range(0, 0);
  }
}

/**
 * A range kept as its two offsets: lines and columns are worked out from the file's line table when read.
 * A 10,000-node pipeline holds over 100,000 ranges while it loads and 60,000 after; as three objects each
 * (the range and two positions) they were a third of its memory, as one they are a tenth. It reads like
 * any `SourceRange`, and `JSON.stringify` writes it as one (`toJSON`).
 */
class OffsetRange implements SourceRange {
  readonly #source: SourceFile;

  constructor(
    source: SourceFile,
    readonly startOffset: number,
    readonly endOffset: number,
  ) {
    this.#source = source;
  }

  get file(): string {
    return this.#source.file;
  }

  get start(): Position {
    return this.#source.position(this.startOffset);
  }

  get end(): Position {
    return this.#source.position(this.endOffset);
  }

  /** Whether this range lies in `source` as read. */
  inFile(source: SourceFile): boolean {
    return this.#source === source;
  }

  /** From this range's start to `other`'s end, when both lie in the same file as read. */
  to(other: SourceRange): SourceRange | undefined {
    return other instanceof OffsetRange && other.#source === this.#source
      ? new OffsetRange(this.#source, this.startOffset, Math.max(this.startOffset, other.endOffset))
      : undefined;
  }

  toJSON(): SourceRange {
    return { file: this.file, start: this.start, end: this.end };
  }
}

/** The range from `a`'s start to `b`'s end. */
export function spanRanges(a: SourceRange, b: SourceRange): SourceRange {
  return (a instanceof OffsetRange ? a.to(b) : undefined) ?? { file: a.file, start: a.start, end: b.end };
}
