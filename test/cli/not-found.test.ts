// A command line oclif cannot place: an argument to a command that takes none was "command schedule:40 not
// found", a misspelt command "command stepz not found"; each now says what it is and what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moe, tempDir } from './helpers.js';

const oneLine = (s: string): string => s.replace(/\s*›\s*/g, ' ').trim();

test('an unknown command or an argument a command does not take says what to do, exit 2', (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const cases: [string[], string][] = [
    [['schedule', '40'], 'moe schedule takes no argument `40`; see moe schedule --help'],
    [['stepz'], 'moe has no command `stepz`; did you mean `steps`?'],
    [['help', 'steps'], 'moe has no help command; use moe steps --help'],
    [
      ['import', 'simpletunr', 'c.json'],
      'moe import has no command `simpletunr`; did you mean `simpletuner`?',
    ],
    [
      ['import', 'dreambooth', 'x'],
      'moe import has no command `dreambooth`; it has musubi-tuner, simpletuner',
    ],
  ];
  for (const [args, said] of cases) {
    const r = moe(args, dir);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(oneLine(r.stderr), `Error: ${said}`);
  }
});
