// The `command` step: a shell command line (`run`, via `sh -c` as make, DVC and GitHub Actions do) or a
// program with arguments (`argv`, no shell at all), with $MOE_OUT set to the node's output directory.
import type { JsonValue } from '../../pipeline/types.js';
import type { StepDefinition } from '../../contract/step.js';
import type { CommandWith } from './schema.js';
import { commandWithSchema } from './schema.js';
import type * as Runner from './run.js';

let runner: Promise<typeof Runner> | undefined;

export const commandStep: StepDefinition<CommandWith> = {
  name: 'command',
  version: '1',
  description: 'Run a shell command (run) or a program (argv) that writes its outputs under $MOE_OUT.',
  withSchema: commandWithSchema,
  shellFields: ['run'],
  relays: true,
  outputs(withValue: JsonValue): Readonly<Record<string, string>> {
    const outputs = isObject(withValue) ? withValue['outputs'] : undefined;
    if (!isObject(outputs)) return {};
    const result: Record<string, string> = {};
    for (const [name, path] of Object.entries(outputs)) if (typeof path === 'string') result[name] = path;
    return result;
  },
  inputs(withValue: CommandWith): readonly string[] {
    return withValue.inputs ?? [];
  },
  async run(ctx) {
    // Loaded once, on the first node that runs; afterwards only a resolved promise is awaited.
    runner ??= import('./run.js');
    return (await runner).runCommandNode(ctx);
  },
};

function isObject(v: JsonValue | undefined): v is Readonly<Record<string, JsonValue>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
