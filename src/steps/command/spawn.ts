// Running a child process for a step: its own process group (so the whole tree can be stopped), output
// line by line to the node log, and on abort SIGTERM to the group, then SIGKILL after a grace period.
import type { ProgressUpdate, StepLogger } from '../../contract/step.js';
import { LineSplitter } from './lines.js';
import { parseProgress } from './progress.js';
import { exitError } from './exit-error.js';
import { spawnGuarded } from './watchdog.js';
import { signalGroup } from '../../util/process-group.js';

/** How long a process group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 5000;

export interface SpawnSpec {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  readonly log: StepLogger;
  readonly progress: (update: ProgressUpdate) => void;
  readonly killGraceMs?: number;
}

export function runProcess(spec: SpawnSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    if (spec.signal.aborted) {
      reject(new Error('aborted before start'));
      return;
    }
    // Through a shell that starts the watchdog and then becomes the program: it dies with moe.
    const child = spawnGuarded(spec.file, spec.args, { cwd: spec.cwd, env: spec.env });
    let lastErr = '';
    const out = new LineSplitter((line) => {
      const p = parseProgress(line);
      if (p) spec.progress(p);
      else spec.log.info(line);
    });
    const errLines = new LineSplitter((line) => {
      if (line.trim() !== '') lastErr = line;
      spec.log.warn(line);
    });
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => errLines.push(c));

    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), spec.killGraceMs ?? KILL_GRACE_MS);
      killTimer.unref();
    };
    spec.signal.addEventListener('abort', onAbort, { once: true });

    child.on('error', (e) => {
      spec.signal.removeEventListener('abort', onAbort);
      reject(new Error(`could not start ${spec.file}: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      spec.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      out.end();
      errLines.end();
      if (spec.signal.aborted) reject(new Error('aborted'));
      else if (code === 0) resolve();
      else {
        const how = code === null ? `was killed by ${sig ?? 'a signal'}` : `exited with code ${code}`;
        reject(exitError(code ?? undefined, how, lastErr));
      }
    });
  });
}
