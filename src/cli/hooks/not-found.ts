// oclif's answer to a command line it cannot place was "command schedule:40 not found" (an argument given
// to a command that takes none, read as a subcommand) or "command stepz not found" (a misspelt command),
// neither saying what to do. This hook says which it is: the command and its --help, the closest command,
// or a topic's commands.
import type { Hook } from '@oclif/core';
import { Errors } from '@oclif/core';
import { didYouMean } from '../../pipeline/suggest.js';
import { EXIT } from '../failure.js';

const hook: Hook<'command_not_found'> = function (opts) {
  const ids = opts.config.commands.filter((c) => c.hidden !== true).map((c) => c.id);
  return Promise.reject(new Errors.CLIError(notFound(opts.id, ids), { exit: EXIT.invalid }));
};

/** What to say of `id` (oclif's `a:b:c`), given the visible command ids. */
export function notFound(id: string, ids: readonly string[]): string {
  const shown = (x: string): string => x.replaceAll(':', ' ');
  const parts = id.split(':');
  // `moe help steps`, as git and npm have it.
  if (parts[0] === 'help')
    return `moe has no help command; use ${['moe', ...parts.slice(1), '--help'].join(' ')}`;
  for (let i = parts.length - 1; i > 0; i--) {
    const command = parts.slice(0, i).join(':');
    if (ids.includes(command))
      return `moe ${shown(command)} takes no argument \`${parts.slice(i).join(' ')}\`; see moe ${shown(command)} --help`;
  }
  const [first = '', second = ''] = parts;
  const topic = ids.filter((c) => c.startsWith(`${first}:`)).map((c) => c.slice(first.length + 1));
  if (topic.length > 0)
    return `moe ${first} has no command \`${second}\`; ${didYouMean(second, topic) ?? `it has ${topic.join(', ')}`}`;
  return `moe has no command \`${shown(id)}\`; ${didYouMean(shown(id), ids.map(shown)) ?? 'see moe --help for the commands'}`;
}

export default hook;
