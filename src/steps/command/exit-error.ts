// The error for a command that ended with a non-zero exit code. POSIX shells exit with 127 when they find
// no such program and 126 when they find it but cannot execute it: another attempt ends the same way, so
// those are permanent failures (not retried under `retry:`), as `env`, `nohup` and `timeout` use them.
import { PermanentStepError } from '../../contract/step.js';

const CANNOT_RUN: Readonly<Record<number, string>> = {
  127: 'a program it runs was not found',
  126: 'a program it runs cannot be executed',
};

/** `code`: the exit code, or undefined when a signal ended the command (`how` then says which). */
export function exitError(code: number | undefined, how: string, lastLine: string): Error {
  const message = `command ${how}${lastLine ? `: ${lastLine}` : ''}`;
  const why = code === undefined ? undefined : CANNOT_RUN[code];
  return why === undefined ? new Error(message) : new PermanentStepError(`${message} (${why})`);
}
