// A JSON file that does not parse, said as `file:line:col: not valid JSON: what` (JSON.parse only gives a
// character position, which no editor jumps to).

/** The message for `e`, thrown by JSON.parse on `text` read from `file`. */
export function jsonSyntaxError(file: string, text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const at = / in JSON at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : text.length;
  const what = message
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/^Unexpected end of JSON input$/, 'the text ends early');
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  return `${file}:${line}:${offset - lineStart + 1}: not valid JSON: ${what}`;
}
