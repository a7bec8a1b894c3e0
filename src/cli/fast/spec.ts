// The flags of the commands that take the fast path (`run`, `plan`, `validate`), as plain data the fast
// parser reads without loading oclif. The oclif command classes declare the same flags for `--help` and
// every other way in; test/cli/fast.test.ts checks that the two stay equal.

export interface FlagSpec {
  readonly kind: 'string' | 'integer' | 'boolean';
  readonly char?: string;
  /** Repeatable; the value is a list (empty when absent). */
  readonly multiple?: boolean;
  /** The only values accepted. */
  readonly options?: readonly string[];
  /** The smallest integer accepted. */
  readonly min?: number;
  readonly default?: number;
}

export interface CommandSpec {
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** oclif's `enableJsonFlag`: `--json` (or MOE_CONTENT_TYPE=json) and the result printed as JSON. */
  readonly jsonFlag: boolean;
}

const param: FlagSpec = { kind: 'string', char: 'p', multiple: true };
const many: FlagSpec = { kind: 'string', multiple: true };

const planFlags = {
  param,
  workspace: { kind: 'string' },
  force: many,
  only: many,
  from: many,
} satisfies Record<string, FlagSpec>;

export const FAST_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  run: {
    jsonFlag: true,
    flags: {
      ...planFlags,
      jobs: { kind: 'integer', char: 'j', min: 1 },
      gpus: { kind: 'string' },
      'keep-going': { kind: 'boolean', char: 'k' },
      executor: { kind: 'string', options: ['local', 'slurm'] },
      'dry-run': { kind: 'boolean', char: 'n' },
      wait: { kind: 'integer', min: 0, default: 0 },
    },
  },
  plan: { jsonFlag: true, flags: planFlags },
  validate: { jsonFlag: false, flags: { param, json: { kind: 'boolean' } } },
};
