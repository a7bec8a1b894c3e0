// The JSON Schema (draft 2020-12) of the pipeline file's structure. Step parameters (`with`) are checked
// per step; `buildPipelineSchema` adds them for editors.
import type { JsonSchema } from '../../contract/step.js';

/** Node ids and parameter names: they appear in `${{ nodes.<id> }}` and `${{ params.<name> }}`. */
export const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_-]*$';
/** A pipeline's `name`: text without control characters or `${{`. */
export const NAME_TEXT_PATTERN = '^(?![\\s\\S]*\\$\\{\\{)[^\\u0000-\\u001f\\u007f]*$';
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$';
/** A duration above zero: with a digit other than 0. */
export const LIMIT_PATTERN = '^(?=[\\s\\S]*[1-9])([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$';
export const MEMORY_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*([KMGT]i?B|B)$';

const duration = {
  description: 'a duration such as 90s, 30m, 2h or 1h30m',
  type: 'string',
  pattern: DURATION_PATTERN,
};

/** A time limit: a duration with a digit other than 0 (`timeout: 0s` timed every attempt out at once). */
const limit = {
  description: 'a duration above zero such as 90s, 30m, 2h or 1h30m',
  type: 'string',
  pattern: LIMIT_PATTERN,
};

/** What a node and a step type's `defaults:` both set besides `with`: resources, retries, a time limit. */
const RUN_SETTINGS = {
  resources: { $ref: '#/$defs/resources' },
  retry: { $ref: '#/$defs/retry' },
  timeout: limit,
};

export const PIPELINE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'moe pipeline',
  description: 'A moe pipeline, format version 1.',
  type: 'object',
  required: ['version', 'nodes'],
  additionalProperties: false,
  properties: {
    version: { description: 'The format version: 1.', const: 1 },
    name: {
      description: 'A name for people; defaults to the file name.',
      type: 'string',
      minLength: 1,
      // Shown in terminals, reports and run records as written: no control characters, no expression
      // (only a node's `with` is evaluated).
      allOf: [
        {
          description: 'text on one line, without control characters (a NUL, a tab) or `${{ }}`',
          pattern: NAME_TEXT_PATTERN,
        },
      ],
    },
    description: { type: 'string' },
    params: {
      description: 'Parameters and their defaults; override with `--param name=value`.',
      type: 'object',
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    plugins: {
      description: 'npm packages or paths (relative to this file) that provide more step types.',
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
    },
    executor: {
      description: 'Where nodes run: `local` (the default) or `slurm` with its settings.',
      anyOf: [
        { type: 'string', enum: ['local', 'slurm'] },
        {
          type: 'object',
          required: ['kind'],
          // Slurm's settings (docs/scale-out.md), also allowed beside `kind: local` for `--executor slurm`.
          properties: {
            kind: { enum: ['local', 'slurm'] },
            partition: { description: 'sbatch --partition', type: 'string', minLength: 1 },
            account: { description: 'sbatch --account', type: 'string', minLength: 1 },
            qos: { description: 'sbatch --qos', type: 'string', minLength: 1 },
            sbatch_flags: {
              description: 'More sbatch flags, passed as written (a list, or one string split at spaces).',
              type: ['array', 'string'],
              items: { type: 'string' },
            },
            command: {
              description: 'What a job runs (the job spec path is appended); default: this moe, `exec-node`.',
              type: ['array', 'string'],
              items: { type: 'string', minLength: 1 },
              minItems: 1,
            },
            poll: {
              description: 'Seconds between looks at the queue (default 1).',
              type: 'number',
              exclusiveMinimum: 0,
            },
            gpus_per_node: {
              description: 'GPUs one compute node has: a node asking for more spans several machines.',
              type: 'integer',
              minimum: 1,
            },
          },
          additionalProperties: false,
        },
      ],
    },
    defaults: {
      description:
        "Settings shared by every node of a step type, keyed by step type (e.g. `train.expert`); a node's own values win, maps merge key by key.",
      type: 'object',
      additionalProperties: { $ref: '#/$defs/defaults' },
    },
    sweep: {
      description:
        'Run every combination of these parameter values (variants); nodes that do not read a swept value run once for all of them. `exclude`/`include` as in a GitHub Actions matrix.',
      type: 'object',
      propertyNames: { pattern: NAME_PATTERN },
      properties: {
        exclude: {
          description:
            'Combinations to leave out: each entry removes every variant that matches all its values.',
          type: 'array',
          items: { $ref: '#/$defs/assignment' },
        },
        include: {
          description:
            'Extra combinations: an entry adds its other values to every variant it matches, or is a variant of its own when it matches none.',
          type: 'array',
          items: { $ref: '#/$defs/assignment' },
        },
      },
      additionalProperties: {
        description: 'The values of this parameter, one variant each.',
        type: 'array',
        minItems: 1,
        items: { type: ['string', 'number', 'boolean'] },
      },
    },
    objective: {
      description:
        'What `moe compare` ranks the variants of a sweep by: a metric of a node, and whether less or more is better.',
      type: 'object',
      required: ['node', 'metric'],
      additionalProperties: false,
      properties: {
        node: { description: 'The node that reports the metric.', type: 'string', pattern: NAME_PATTERN },
        metric: {
          description: 'The metric, e.g. `loss.composed.full` of `evaluate`.',
          type: 'string',
          minLength: 1,
        },
        goal: {
          description: 'Whether lower (`min`, the default) or higher (`max`) is better.',
          enum: ['min', 'max'],
        },
      },
    },
    nodes: {
      description: 'The nodes of the graph, keyed by id.',
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: { $ref: '#/$defs/node' },
    },
  },
  $defs: {
    assignment: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: NAME_PATTERN },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        with: { description: 'Step parameters every node of this step type starts from.', type: 'object' },
        ...RUN_SETTINGS,
      },
    },
    node: {
      type: 'object',
      required: ['step'],
      additionalProperties: false,
      properties: {
        step: { description: 'The step type, e.g. `command`.', type: 'string', minLength: 1 },
        description: { type: 'string' },
        needs: {
          description: 'Nodes that must finish first (references in `${{ nodes.… }}` add themselves).',
          type: 'array',
          items: { type: 'string', pattern: NAME_PATTERN },
          uniqueItems: true,
        },
        with: { description: "The step's parameters.", type: 'object' },
        ...RUN_SETTINGS,
      },
    },
    resources: {
      type: 'object',
      additionalProperties: false,
      properties: {
        cpu: { description: 'CPU cores (may be fractional).', type: 'number', exclusiveMinimum: 0 },
        memory: {
          description: 'memory such as 512MB, 4GB or 2GiB',
          anyOf: [
            { description: 'memory such as 512MB, 4GB or 2GiB', type: 'string', pattern: MEMORY_PATTERN },
            { type: 'integer', minimum: 0 },
          ],
        },
        gpu: {
          description: 'Whole GPUs; each running node gets its own devices.',
          type: 'integer',
          minimum: 0,
        },
      },
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        limit: { description: 'Extra attempts after a failure.', type: 'integer', minimum: 0 },
        backoff: duration,
      },
    },
  },
} as const satisfies JsonSchema;
