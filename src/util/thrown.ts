// What a thrown value says, for messages: an Error's message; anything else a step or a plugin throws
// (a string, an object, null) as its text or JSON, never `[object Object]` or a crash reading `.message`.

/** The message of an Error; otherwise `it threw VALUE` (a string as it is, anything else as JSON). */
export function thrownMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return `it threw ${thrownValue(e)}`;
}

function thrownValue(e: unknown): string {
  if (typeof e === 'string') return e;
  try {
    const json = JSON.stringify(e);
    if (json !== undefined) return json;
  } catch {
    // A cycle or a BigInt: the plain conversion below.
  }
  return String(e);
}
