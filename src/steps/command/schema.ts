// The `with` block of the `command` step.
import type { JsonSchema } from '../../contract/step.js';

export interface CommandWith {
  /** A shell command line, run with `sh -c`. Values from `${{ }}` are already shell-quoted. */
  readonly run?: string;
  /** A program and its arguments, run without a shell. */
  readonly argv?: readonly string[];
  /** Files or directories (relative to the pipeline file) whose content counts in the fingerprint. */
  readonly inputs?: readonly string[];
  /** Output name → path inside `$MOE_OUT`. */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The variables moe sets for every command (the engine: the node's folders; the command step: the
 * metrics file). An `env:` entry would hide them, and the node would write its outputs elsewhere.
 */
export const RESERVED_ENV = ['MOE_OUT', 'MOE_NODE', 'MOE_CHECKPOINT_DIR', 'MOE_TMP', 'MOE_METRICS'];

export const commandWithSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  oneOf: [{ required: ['run'] }, { required: ['argv'] }],
  properties: {
    run: {
      type: 'string',
      minLength: 1,
      description: 'Shell command line, run with `sh -c`; $MOE_OUT is the output directory.',
    },
    argv: {
      type: 'array',
      minItems: 1,
      items: { type: 'string' },
      description: 'Program and arguments, run without a shell.',
    },
    inputs: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description: 'Files or directories (relative to the pipeline file) hashed into the fingerprint.',
    },
    outputs: {
      type: 'object',
      additionalProperties: { type: 'string', minLength: 1 },
      description: 'Named outputs: paths inside $MOE_OUT that must exist when the command succeeds.',
    },
    env: {
      type: 'object',
      propertyNames: {
        allOf: [
          {
            description:
              'use letters, digits and `_`, not starting with a digit (an environment variable name)',
            pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
          },
          {
            description: `moe sets it for every command (${RESERVED_ENV.map((n) => `$${n}`).join(', ')}): use another name`,
            not: { enum: RESERVED_ENV },
          },
          {
            description:
              "moe sets it to the GPUs it hands the node, none unless the node asks (`resources: { gpu: N }`), so that two nodes never share one: ask for GPUs there, and choose the machine's with `--gpus` or CUDA_VISIBLE_DEVICES when starting moe",
            not: { const: 'CUDA_VISIBLE_DEVICES' },
          },
        ],
      },
      additionalProperties: { type: 'string' },
      description: 'Extra environment variables for the command.',
    },
  },
};
