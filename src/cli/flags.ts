// Every flag of the commands that share flags (`run`, `plan`, `validate`, `graph`, `compare`, `gc`,
// `status`), declared once as plain data. The oclif command classes derive their flags (and, for the
// commands that take a pipeline file, `--json`) from it (src/cli/commands/oclif-flags.ts,
// src/cli/action-command.ts), and so does the fast path's parser (src/cli/fast), which reads it without
// loading oclif: the two cannot drift apart.

export interface FlagSpec {
  readonly kind: 'string' | 'integer' | 'boolean';
  /** One line for `--help`. */
  readonly description: string;
  readonly char?: string;
  /** Repeatable; the value is a list (empty when absent). */
  readonly multiple?: boolean;
  /** The only values accepted. */
  readonly options?: readonly string[];
  /** The smallest integer accepted. */
  readonly min?: number;
  readonly default?: number | string;
}

export type FlagTable = Readonly<Record<string, FlagSpec>>;

export interface CommandSpec {
  readonly flags: FlagTable;
  /** oclif's `enableJsonFlag`: `--json` (or MOE_CONTENT_TYPE=json) and the result printed as JSON. */
  readonly jsonFlag: boolean;
}

const param = {
  kind: 'string',
  char: 'p',
  multiple: true,
  description: 'override a parameter: name=value',
} as const satisfies FlagSpec;

const sweep = {
  kind: 'string',
  multiple: true,
  description: "run every value of a parameter as a variant: name=a,b,c (replaces the file's sweep: list)",
} as const satisfies FlagSpec;

const workspace = {
  kind: 'string',
  description: 'workspace directory (default: .moe beside the pipeline)',
} as const satisfies FlagSpec;

const workspaceOrHere = {
  kind: 'string',
  description: 'workspace directory (default: .moe beside the pipeline, or here)',
} as const satisfies FlagSpec;

export const PLAN_FLAGS = {
  param,
  sweep,
  workspace,
  force: { kind: 'string', multiple: true, description: 'plan this node as forced' },
  only: { kind: 'string', multiple: true, description: 'plan only this node' },
  from: {
    kind: 'string',
    multiple: true,
    description: 'plan this node and everything downstream as forced',
  },
} as const satisfies FlagTable;

export const RUN_FLAGS = {
  param,
  sweep,
  workspace,
  jobs: { kind: 'integer', char: 'j', min: 1, description: 'nodes running at once (default: CPU cores)' },
  gpus: {
    kind: 'string',
    description: 'GPU device ids to use, e.g. 0,1 (default: CUDA_VISIBLE_DEVICES or all)',
  },
  force: { kind: 'string', multiple: true, description: 'rerun this node even if cached' },
  only: {
    kind: 'string',
    multiple: true,
    description: 'run only this node (its inputs must be up to date)',
  },
  from: { kind: 'string', multiple: true, description: 'rerun this node and everything downstream' },
  'keep-going': {
    kind: 'boolean',
    char: 'k',
    description: 'keep running nodes that do not depend on a failed one',
  },
  executor: {
    kind: 'string',
    options: ['local', 'slurm'],
    description: "where nodes run (default: the pipeline's executor:, else local)",
  },
  'dry-run': { kind: 'boolean', char: 'n', description: 'show what would run, run nothing' },
  wait: {
    kind: 'integer',
    min: 0,
    default: 0,
    description: 'seconds to wait for another run holding the workspace',
  },
} as const satisfies FlagTable;

export const VALIDATE_FLAGS = {
  param,
  json: { kind: 'boolean', description: 'print {valid, diagnostics} as JSON' },
} as const satisfies FlagTable;

export const GRAPH_FLAGS = {
  format: { kind: 'string', options: ['mermaid', 'dot'], default: 'mermaid', description: 'diagram format' },
  param,
  json: { kind: 'boolean', description: 'print {nodes: [{id, step, needs}], order} as JSON' },
} as const satisfies FlagTable;

export const GC_FLAGS = {
  workspace: workspaceOrHere,
  'dry-run': {
    kind: 'boolean',
    char: 'n',
    description: 'report what would be removed, remove nothing',
  },
  verify: {
    kind: 'boolean',
    description: 're-hash every store entry first; remove those whose bytes changed, so their nodes rerun',
  },
  'keep-runs': {
    kind: 'integer',
    min: 0,
    default: 20,
    description: 'run journals and logs kept per pipeline',
  },
} as const satisfies FlagTable;

export const COMPARE_FLAGS = {
  param,
  sweep,
  workspace,
  html: {
    kind: 'string',
    description: 'also write a self-contained HTML page of the comparison to this file',
  },
} as const satisfies FlagTable;

export const STATUS_FLAGS = { workspace: workspaceOrHere } as const satisfies FlagTable;

/** The commands that take a pipeline file: their flags and whether they have oclif's `--json`. */
export const PIPELINE_COMMANDS = {
  run: { jsonFlag: true, flags: RUN_FLAGS },
  plan: { jsonFlag: true, flags: PLAN_FLAGS },
  validate: { jsonFlag: false, flags: VALIDATE_FLAGS },
  graph: { jsonFlag: false, flags: GRAPH_FLAGS },
  compare: { jsonFlag: true, flags: COMPARE_FLAGS },
} as const satisfies Readonly<Record<string, CommandSpec>>;

/** The commands the fast path takes (bin/moe.js tries it before loading oclif). */
export const FAST_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  run: PIPELINE_COMMANDS.run,
  plan: PIPELINE_COMMANDS.plan,
  validate: PIPELINE_COMMANDS.validate,
};
