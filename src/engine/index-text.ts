// The text of a pipeline index: one JSON object, `{"file":…,"pipeline":…,"nodes":{…}}`, written with each
// node's entry on a line of its own. Any JSON reader reads it whole; moe reads it a line at a time, so a
// 10,000-node index (6 MB) is never one string beside its parse (a cached rerun of such a pipeline
// peaked 25 MB above the cold run). An index in another layout (one line, as before session 12, or edited
// by hand) is parsed whole.
import { readTextInBlocks, scanInBlocks } from '../util/small-blocks.js';

const NEWLINE = 0x0a;

/** `target[key] = value` as JSON.parse makes it: an own property, also for `__proto__`. */
function defineProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
const OPEN = '"nodes":{';
const CLOSE = '}}';

/**
 * The index's text in pieces of about 64 KB: `head`'s fields, then `nodes`, one `"id":record` a line.
 * `entries` gives each node's id and its record's JSON text.
 */
export function* indexText(
  head: Readonly<Record<string, unknown>>,
  entries: Iterable<readonly [id: string, record: string]>,
): Generator<string> {
  const open = JSON.stringify(head);
  let piece = `${open.length > 2 ? `${open.slice(0, -1)},` : '{'}${OPEN}`;
  let first = true;
  for (const [id, record] of entries) {
    piece += `${first ? '' : ','}\n${JSON.stringify(id)}:${record}`;
    first = false;
    if (piece.length >= 1 << 16) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}\n${CLOSE}\n`;
}

/**
 * The index file parsed: what `JSON.parse` gives for its whole text, or undefined when it is not JSON.
 * Throws when it cannot be read.
 */
export function readIndexText(path: string): unknown {
  let head: string | undefined;
  const nodes: Record<string, unknown> = {};
  let lined = true;
  let ended = false;
  const rest = scanInBlocks(path, (bytes) => {
    // The head is a short line: without a newline in the first block, the file is one line.
    if (!lined || (head === undefined && bytes.indexOf(NEWLINE) < 0)) {
      lined = false;
      return bytes.length;
    }
    let start = 0;
    for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
      const line = bytes.toString('utf8', start, end);
      start = end + 1;
      if (!lined || !takeLine(line)) {
        lined = false;
        return bytes.length;
      }
    }
    return start;
  });
  function takeLine(line: string): boolean {
    if (head === undefined) {
      head = line;
      return line.endsWith(OPEN);
    }
    if (ended) return false;
    if (line === CLOSE) return (ended = true);
    try {
      const entry = JSON.parse(`{${line.endsWith(',') ? line.slice(0, -1) : line}}`) as Record<
        string,
        unknown
      >;
      for (const id of Object.keys(entry)) defineProperty(nodes, id, entry[id]);
      return true;
    } catch {
      return false;
    }
  }
  if (lined && ended && head !== undefined && rest.length === 0) {
    try {
      const parsed = JSON.parse(`${head}${CLOSE}`) as Record<string, unknown>;
      defineProperty(parsed, 'nodes', nodes);
      return parsed;
    } catch {
      // Parsed whole below.
    }
  }
  try {
    return JSON.parse(readTextInBlocks(path)) as unknown;
  } catch {
    return undefined;
  }
}
