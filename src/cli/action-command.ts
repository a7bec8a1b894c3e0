// The base of the commands that hand their work to an action (src/cli/actions) or a service: the module is
// loaded only when the command runs (so `--help` and start-up stay fast), and a user-facing failure ends
// the command with its message and exit code instead of a stack trace.
import { Args, Command } from '@oclif/core';
import type { Result } from '../util/result.js';
import { EXIT, endWithFailure } from './failure.js';

/** The argument of the commands that take a pipeline file (run, plan, compare, validate, graph). */
export const PIPELINE_FILE_ARGS = { file: Args.string({ description: 'pipeline file', required: true }) };

export abstract class ActionCommand extends Command {
  /**
   * Runs `action` with the loaded `module` and whether --json is on. A CliFailure ends the command (on one
   * NDJSON line when `ndjson`, for commands that stream NDJSON); anything else is a bug and is rethrown.
   */
  protected async act<M, T>(
    module: Promise<M>,
    action: (loaded: M, json: boolean) => T | Promise<T>,
    ndjson = false,
  ): Promise<T | undefined> {
    try {
      return await action(await module, this.jsonEnabled());
    } catch (e) {
      return endWithFailure(e, this.jsonEnabled(), ndjson);
    }
  }

  /**
   * Runs a command's main work and times it: its value with the seconds taken (one decimal), or the command
   * ended with the work's error message and exit code 2.
   */
  protected async timed<T>(
    work: () => Promise<Result<T, { readonly message: string }>>,
  ): Promise<{ readonly value: T; readonly seconds: string }> {
    const started = Date.now();
    const r = await work();
    if (!r.ok) this.error(r.error.message, { exit: EXIT.invalid });
    return { value: r.value, seconds: ((Date.now() - started) / 1000).toFixed(1) };
  }
}
