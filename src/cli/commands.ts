// The explicit command table oclif loads (package.json "oclif.commands"). One entry per command; each
// command module is thin and imports its service lazily so that start-up stays fast.
import Version from './commands/version.js';

export const COMMANDS = {
  version: Version,
};
