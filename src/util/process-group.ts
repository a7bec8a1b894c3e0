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

/**
 * The arguments after `-s` of a command worker shell that moe process `pid` starts: the worker's
 * positional parameters, which its forked subshells show in /proc too, so that the jobs a dead moe left
 * are found even where their environment does not say so (a subshell keeps the worker's).
 */
export function workerMark(pid: number): readonly string[] {
  return ['moe-worker-of', String(pid)];
}
