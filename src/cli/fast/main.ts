// The fast way into `moe run`, `moe plan` and `moe validate`: bin/moe.js calls this first and loads
// oclif (about 0.2 s of CPU, a large part of a cached rerun) only when it declines. It parses with the
// same flag table and calls the same command functions as the oclif classes, and prints results the way
// oclif does (`--json`: the returned value as indented JSON).
import { parseFast } from './parse.js';
import type { ParsedCommand } from './parse.js';
import { FAST_COMMANDS } from '../flags.js';

type Handler = (cmd: ParsedCommand) => Promise<unknown>;

const HANDLERS: Readonly<Record<string, Handler>> = {
  run: async ({ file, flags, json }) => {
    const { runCommand } = await import('../actions/run.js');
    return runCommand(file, flags as unknown as Parameters<typeof runCommand>[1], json);
  },
  plan: async ({ file, flags, json }) => {
    const { planCommand } = await import('../actions/plan.js');
    return planCommand(file, flags as unknown as Parameters<typeof planCommand>[1], json);
  },
  validate: async ({ file, flags }) => {
    const { validateCommand } = await import('../actions/validate.js');
    await validateCommand(file, flags['param'] as string[], flags['json'] === true);
    return undefined;
  },
};

/** Runs the command when the fast path can take it; false means "hand it to oclif". */
export async function runFast(argv: readonly string[]): Promise<boolean> {
  const [id, ...rest] = argv;
  if (id === undefined) return false;
  const spec = FAST_COMMANDS[id];
  const handler = HANDLERS[id];
  if (spec === undefined || handler === undefined) return false;
  const parsed = parseFast(spec, rest, process.env);
  if (parsed === undefined) return false;
  const { endWithFailure } = await import('../failure.js');
  let result: unknown;
  try {
    result = await handler(parsed);
  } catch (e) {
    endWithFailure(e, parsed.json, id === 'run' && parsed.flags['dry-run'] !== true);
    return true;
  }
  if (result !== undefined && parsed.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return true;
}
