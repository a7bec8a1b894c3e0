// How schema messages name types, values and alternatives: "a whole number", "the string `x`".

export function typeWord(t: string): string {
  switch (t) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'integer':
      return 'a whole number';
    case 'null':
      return 'null';
    default:
      return `a ${t}`;
  }
}

export function formWord(schema: Record<string, unknown>): string {
  if (Array.isArray(schema['enum']))
    return `one of ${schema['enum'].map((v) => `\`${String(v)}\``).join(', ')}`;
  if ('const' in schema) return show(schema['const']);
  const t = schema['type'];
  if (typeof t === 'string') return typeWord(t);
  if (Array.isArray(t)) return orList(t.map((x) => typeWord(String(x))));
  return 'another form';
}

export function valueWord(v: unknown): string {
  if (v === null) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${show(v)}`;
  return `${typeof v === 'boolean' ? 'the boolean' : 'the number'} ${show(v)}`;
}

export function show(v: unknown): string {
  if (typeof v === 'string') {
    const text = v.length > 60 ? v.slice(0, 57) + '…' : v;
    // Control characters escaped (`\n`, `\u0000`): never raw into a terminal.
    return `\`${text.replace(CONTROL, escapeControl)}\``;
  }
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'object') return Array.isArray(v) ? 'a list' : 'a map';
  return `\`${String(v)}\``;
}

export function orList(items: readonly string[]): string {
  const unique = [...new Set(items)];
  if (unique.length <= 1) return unique[0] ?? '';
  return `${unique.slice(0, -1).join(', ')} or ${unique.at(-1) ?? ''}`;
}

/** C0 control characters and DEL. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/g;

function escapeControl(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\t') return '\\t';
  if (c === '\r') return '\\r';
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
