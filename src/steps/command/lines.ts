// Splits a byte stream into text lines, holding a partial last line until the next chunk.
export class LineSplitter {
  #rest = '';
  readonly #onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer | string): void {
    const text = this.#rest + chunk.toString();
    const parts = text.split('\n');
    this.#rest = parts.pop() ?? '';
    for (const p of parts) this.#onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
  }

  end(): void {
    if (this.#rest !== '') this.#onLine(this.#rest);
    this.#rest = '';
  }
}
