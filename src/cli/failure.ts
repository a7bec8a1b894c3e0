// How a command ends when it fails for a user-facing reason: a message and an exit code, never a stack
// trace. Services return their failures as values; the command actions turn them into a `CliFailure`.

export const EXIT = { ok: 0, failed: 1, invalid: 2, busy: 3, interrupted: 130 } as const;

export class CliFailure extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * Ends a command that failed for a user-facing reason: the message on stderr (or as `{"error": …}` on
 * stdout with --json; on one line where the command streams NDJSON) and the exit code set, no stack
 * trace. Anything else is a bug and is rethrown.
 */
export function endWithFailure(e: unknown, json: boolean, ndjson = false): undefined {
  if (!(e instanceof CliFailure)) throw e;
  process.exitCode = e.exitCode;
  if (e.message === '') return undefined;
  if (json)
    process.stdout.write(
      `${JSON.stringify({ error: { message: e.message, exitCode: e.exitCode } }, null, ndjson ? undefined : 2)}\n`,
    );
  else process.stderr.write(`${e.message}\n`);
  return undefined;
}
