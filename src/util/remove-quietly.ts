// Removing a temporary file after a failed write: gone or never made, both are fine.
import { rmSync } from 'node:fs';

/** Removes `path` if it is there; a path that cannot exist (a file in the way: ENOTDIR) is fine too. */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Nothing could have been written there.
  }
}
