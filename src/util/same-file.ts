// Whether two paths name one file, through links and hard links too: an output must never be written over
// the file it was made from.
import { statSync } from 'node:fs';

/** True when `a` and `b` are the same existing file; false when either does not exist. */
export function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
