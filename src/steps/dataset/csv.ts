// A small RFC 4180 reader for caption manifests: quoted fields, doubled quotes, newlines inside quotes,
// CRLF or LF line ends. Good enough for what spreadsheet programs and pandas write.
import { err, ok, type Result } from '../../util/result.js';

/** Rows of fields; blank lines are dropped. */
export function parseCsv(text: string): Result<string[][], string> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let quoteLine = 0;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
      quoteLine = line;
    } else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      endRow();
      line++;
    } else field += ch;
  }
  if (quoted) return err(`line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || row.length > 0) endRow();
  return ok(rows);
}
