// The `with` block of the report step: paths to upstream outputs (each optional but the title) and the
// pipeline settings worth showing.
import type { JsonSchema } from '../../contract/step.js';

export interface ExpertFiles {
  /** train.expert's `metrics` (metrics.jsonl). */
  readonly metrics?: string;
  /** train.expert's `config` (training.json). */
  readonly config?: string;
  /** train.expert's `validation` folder (backend simpletuner): SimpleTuner's validation images. */
  readonly validation?: string;
}

export interface ReportWith {
  readonly title?: string;
  readonly subtitle?: string;
  /** Label → that expert's files, in the order shown. */
  readonly experts?: Readonly<Record<string, ExpertFiles>>;
  /** evaluate's `results` (results.json). */
  readonly evaluation?: string;
  /** compose.inference's `index` (index.json); image paths in it resolve against its folder. */
  readonly samples?: string;
  /** compose.inference's `images` folder; default: `images/` beside the index. */
  readonly images?: string;
  /** embeds.cache's `cache` folder. */
  readonly cache?: string;
  /** dataset.images' `report` (report.json). */
  readonly dataset?: string;
  /** Pipeline parameters to list under "Configuration" (name → value). */
  readonly parameters?: Readonly<Record<string, string | number | boolean | null>>;
  /** At most this many prompts in the samples grid. */
  readonly max_samples?: number;
}

export const REPORT_DEFAULTS = { title: 'moe report', max_samples: 24 } as const;

const path = (description: string): JsonSchema => ({ type: 'string', minLength: 1, description });

export const reportSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    title: { type: 'string', default: REPORT_DEFAULTS.title, description: 'The page title.' },
    subtitle: { type: 'string', description: 'A line under the title.' },
    experts: {
      type: 'object',
      description:
        'One entry per expert, by the label to show (base, refiner): its metrics.jsonl and training.json from train.expert.',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          metrics: path("train.expert's metrics output (metrics.jsonl): the loss curve."),
          config: path("train.expert's config output (training.json): the expert's settings and timings."),
          validation: path(
            "train.expert's validation output (backend simpletuner): SimpleTuner's validation images, shown per expert.",
          ),
        },
      },
    },
    evaluation: path("evaluate's results output (results.json): loss per timestep band, prompt adherence."),
    samples: path("compose.inference's index output (index.json): base-only and composed images per prompt."),
    images: path("compose.inference's images output; default: the images/ folder beside the index."),
    cache: path("embeds.cache's cache output: the items and prompts it holds, and its reuse when recorded."),
    dataset: path("dataset.images' report output (report.json): images kept and skipped."),
    parameters: {
      type: 'object',
      description: 'Pipeline parameters to show, e.g. { strength: "${{ params.strength }}" }.',
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
    },
    max_samples: {
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      default: REPORT_DEFAULTS.max_samples,
      description: 'At most this many prompts in the samples grid (the page inlines every image).',
    },
  },
};
