// Signals to a whole process group: children spawned detached lead their own group, so a step's tools and
// their helpers go together.

/** Sends `sig` to process group `group`; nothing when there is no group or it is gone already. */
export function signalGroup(group: number | undefined, sig: NodeJS.Signals): void {
  if (group === undefined) return;
  try {
    process.kill(-group, sig);
  } catch {
    // The group is already gone.
  }
}
