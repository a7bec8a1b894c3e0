// The base of the commands that hand their work to an action (src/cli/actions) or a service: the module is
// loaded only when the command runs (so `--help` and start-up stay fast), and a user-facing failure ends
// the command with its message and exit code instead of a stack trace.
import { Args, Command } from '@oclif/core';
import type { Interfaces } from '@oclif/core';
import type { Result } from '../util/result.js';
import { EXIT, endWithFailure } from './failure.js';
import type { CommandSpec, FlagTable } from './flags.js';
import { oclifFlags } from './commands/oclif-flags.js';
import type { OclifFlags } from './commands/oclif-flags.js';

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

/** What `--help` says of a command. */
export interface CommandHelp {
  readonly description: string;
  readonly examples: readonly string[];
}

/** The statics oclif reads from a command that takes a pipeline file. */
export interface PipelineCommandStatics<T extends FlagTable> {
  readonly description: string;
  readonly examples: string[];
  readonly enableJsonFlag: boolean;
  readonly args: typeof PIPELINE_FILE_ARGS;
  readonly flags: OclifFlags<T>;
}

/**
 * The base of a command that takes a pipeline file (run, plan, validate, graph, compare): its argument,
 * its flags and `--json` derived from its entry in the flag table (`PIPELINE_COMMANDS`), and its help.
 */
export function pipelineCommand<T extends FlagTable>(
  spec: CommandSpec & { readonly flags: T },
  help: CommandHelp,
): typeof ActionCommand & PipelineCommandStatics<T> {
  abstract class PipelineCommand extends ActionCommand {
    static override description = help.description;
    static override examples = [...help.examples];
    static override enableJsonFlag = spec.jsonFlag;
    static override args = PIPELINE_FILE_ARGS;
    static override flags = oclifFlags(spec.flags);

    // oclif's parse reads the command's statics with an object spread, which skips inherited ones (a
    // subclass's args and flags are set here): it is handed them all, the subclass's own first.
    protected override parse<
      F extends Record<string, unknown>,
      B extends Record<string, unknown>,
      A extends Record<string, unknown>,
    >(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
      return super.parse(options && withInheritedStatics(options), argv);
    }
  }
  return PipelineCommand;
}

/** A class's static fields, its own and its ancestors' (a subclass's value first), as one plain object. */
function withInheritedStatics<T extends object>(ctor: T): T {
  const out: Record<string, unknown> = {};
  for (
    let c: object | null = ctor;
    c !== null && c !== Function.prototype;
    c = Object.getPrototypeOf(c) as object | null
  )
    for (const [key, value] of Object.entries(c)) if (!(key in out)) out[key] = value;
  return out as T;
}
