// `moe import musubi-tuner`: read the run(s) and the dataset TOML, convert, and render the pipeline as YAML.
import { basename } from 'node:path';
import type { Imported } from '../imported.js';
import { stringify } from 'yaml';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import type { ImportedDataset, NotCarried } from './dataset.js';
import { importDataset } from './dataset.js';
import type { MusubiRun } from './options.js';
import { at, besides, readMusubiRun, readTomlFile } from './options.js';
import { musubiToPipeline } from './to-pipeline.js';

export type { NotCarried } from './dataset.js';
export { musubiToPipeline, highNoiseShare } from './to-pipeline.js';
export { parseToml } from './toml.js';
export { readTrainingCommand } from './command-line.js';

export interface MusubiImportOptions {
  /** A file holding the training command, or a --config_file TOML. */
  readonly config: string;
  /** The other expert's run, when the two experts train apart. */
  readonly other?: string;
  /** The dataset TOML (default: the run's --dataset_config, when it exists beside the run). */
  readonly dataset?: string;
  readonly name?: string;
}

export type ImportedMusubi = Imported<NotCarried>;

async function readDataset(
  opts: MusubiImportOptions,
  runs: readonly MusubiRun[],
  notCarried: NotCarried[],
  notes: string[],
  sources: string[],
): Promise<Result<ImportedDataset | undefined, string>> {
  let file = opts.dataset;
  if (file === undefined) {
    for (const run of runs) {
      const o = run.options.get('dataset_config');
      if (o !== undefined && typeof o.value === 'string') {
        file = besides(o.where.file, o.value);
        break;
      }
    }
  }
  if (file === undefined) return ok(undefined);
  const doc = await readTomlFile(file);
  if (!doc.ok) {
    // A path written in the run may only exist on the training machine: import without it.
    if (opts.dataset === undefined && /ENOENT/.test(doc.error)) {
      notes.push(
        `the run's --dataset_config ${file} is not here: imported without it (give it with --dataset)`,
      );
      return ok(undefined);
    }
    return doc;
  }
  sources.push(file);
  return ok(importDataset(file, doc.value, notCarried));
}

export async function importMusubi(opts: MusubiImportOptions): Promise<Result<ImportedMusubi, string>> {
  const runs: MusubiRun[] = [];
  for (const file of [opts.config, opts.other]) {
    if (file === undefined) continue;
    const run = await readMusubiRun(file);
    if (!run.ok) return run;
    runs.push(run.value);
  }
  const datasetNotCarried: NotCarried[] = [];
  const datasetNotes: string[] = [];
  const sources = runs.flatMap((r) => (r.configFile === undefined ? [r.file] : [r.file, r.configFile]));
  const dataset = await readDataset(opts, runs, datasetNotCarried, datasetNotes, sources);
  if (!dataset.ok) return err(dataset.error);
  const converted = musubiToPipeline({
    name: opts.name ?? (basename(opts.config).replace(/\.[a-z]+$/, '') || 'musubi'),
    runs,
    ...(dataset.value ? { dataset: dataset.value } : {}),
  });
  if (!converted.ok) return converted;
  const notCarried = [...converted.value.notCarried, ...datasetNotCarried];
  const notes = [...datasetNotes, ...converted.value.notes];
  const header = [
    `# Imported from musubi-tuner: ${[opts.config, opts.other, opts.dataset].filter(Boolean).join(', ')}`,
    ...notes.map((n) => `# note: ${n}`),
    ...notCarried.map((n) => `# not carried over: ${n.option} ${n.value} (${at(n.where)}): ${n.reason}`),
  ].join('\n');
  const yaml = `${header}\n${stringify(converted.value.pipeline, { lineWidth: 0 })}`;
  return ok({ yaml, notCarried, notes, sources });
}
