// `moe import simpletuner`: read the configs, convert, and render the pipeline as YAML.
import { basename } from 'node:path';
import type { Imported } from '../imported.js';
import { stringify } from 'yaml';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import { readDatabackend, readSimpleTunerConfig } from './options.js';
import type { ReadConfig } from './options.js';
import type { NotCarried } from './to-pipeline.js';
import { simpleTunerToPipeline } from './to-pipeline.js';

export type { NotCarried, ImportResult } from './to-pipeline.js';
export { simpleTunerToPipeline } from './to-pipeline.js';
export { parseConfigEnv } from './env-file.js';
export { readSimpleTunerConfig } from './options.js';

export interface ImportOptions {
  readonly config: string;
  readonly stage2?: string;
  readonly databackend?: string;
  readonly name?: string;
}

export type ImportedPipeline = Imported<NotCarried>;

export async function importSimpleTuner(opts: ImportOptions): Promise<Result<ImportedPipeline, string>> {
  const stage1 = await readSimpleTunerConfig(opts.config);
  if (!stage1.ok) return stage1;
  let stage2: ReadConfig | undefined;
  if (opts.stage2 !== undefined) {
    const r = await readSimpleTunerConfig(opts.stage2);
    if (!r.ok) return r;
    stage2 = r.value;
  }
  const backendFile =
    opts.databackend ??
    (typeof stage1.value.options.data_backend_config === 'string'
      ? stage1.value.options.data_backend_config
      : undefined);
  let databackend: { file: string; entries: Record<string, unknown>[] } | undefined;
  if (backendFile !== undefined) {
    const r = await readDatabackend(backendFile);
    // A path written inside the config may only exist on the training machine: import without it.
    if (!r.ok && opts.databackend !== undefined) return r;
    if (r.ok) databackend = { file: backendFile, entries: r.value };
  }
  const converted = simpleTunerToPipeline({
    name: opts.name ?? (basename(opts.config).replace(/\.(json|env)$/, '') || 'simpletuner'),
    stage1: stage1.value,
    ...(stage2 ? { stage2 } : {}),
    ...(databackend ? { databackend } : {}),
  });
  if (!converted.ok) return err(converted.error);
  const header = [
    `# Imported from SimpleTuner: ${[opts.config, opts.stage2, databackend?.file].filter(Boolean).join(', ')}`,
    ...converted.value.notes.map((n) => `# note: ${n}`),
    ...converted.value.notCarried.map(
      (n) => `# not carried over: ${n.option}=${String(n.value)} (${n.reason})`,
    ),
  ].join('\n');
  const yaml = `${header}\n${stringify(converted.value.pipeline, { lineWidth: 0 })}`;
  const sources = [opts.config, ...(stage2 ? [stage2.file] : []), ...(databackend ? [databackend.file] : [])];
  return ok({ yaml, notCarried: converted.value.notCarried, notes: converted.value.notes, sources });
}
