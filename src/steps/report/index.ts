/**
 * `report`: one self-contained HTML page about a run of the MoE workflow: loss curves, evaluation per
 * timestep band, prompt adherence, base-only versus composed samples, the configuration, timings and
 * cache reuse. This step only gathers upstream files into report data; src/html renders it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StepContext, StepDefinition, StepResult, UpstreamNode } from '../../contract/step.js';
import { renderReport, type ReportData, type SettingsTable, type Timing } from '../../html/index.js';
import { readExperts } from './experts.js';
import { readEvaluation } from './evaluation.js';
import { readCache, readDatasetReport } from './inputs.js';
import { Notes } from './read.js';
import { readSamples } from './samples.js';
import { REPORT_DEFAULTS, reportSchema, type ReportWith } from './schema.js';
import { upstreamReuse, upstreamTimings } from './upstream.js';

const OUTPUTS = { html: 'report.html' } as const;

/**
 * Gathers the report data from the files a `with` block names and, when given, the engine's record of
 * the upstream nodes (timings, cache reuse). Exported for tests and other tools.
 */
export async function gatherReport(
  w: ReportWith,
  upstream?: Readonly<Record<string, UpstreamNode>>,
): Promise<ReportData> {
  const notes = new Notes();
  const experts = await readExperts(w.experts ?? {}, notes);
  const ev = w.evaluation === undefined ? undefined : await readEvaluation(w.evaluation, notes);
  const samples =
    w.samples === undefined
      ? undefined
      : await readSamples(
          w.samples,
          w.images,
          w.max_samples ?? REPORT_DEFAULTS.max_samples,
          ev?.imageScores ?? new Map(),
          notes,
        );
  const cache = w.cache === undefined ? undefined : await readCache(w.cache, notes);
  const dataRows = [
    ...(w.dataset === undefined ? [] : await readDatasetReport(w.dataset, notes)),
    ...(cache?.rows ?? []),
  ];
  const settings: SettingsTable[] = [];
  if (experts.settings) settings.push(experts.settings);
  if (samples?.settings) settings.push(samples.settings);
  const params = Object.entries(w.parameters ?? {});
  if (params.length > 0) {
    settings.push({
      title: 'Pipeline parameters',
      columns: ['value'],
      rows: params.map(([key, v]) => ({ key, values: [v] })),
    });
  }
  if (dataRows.length > 0) settings.push({ title: 'Data', columns: ['value'], rows: dataRows });
  // The engine's record is complete and exact; timings written into files are the fallback for a
  // report gathered outside a run.
  const fromEngine = upstream !== undefined && Object.keys(upstream).length > 0;
  const timings: Timing[] = fromEngine
    ? upstreamTimings(upstream)
    : [...(cache?.timings ?? []), ...experts.timings, ...(samples?.timing ? [samples.timing] : [])];
  return {
    title: w.title ?? REPORT_DEFAULTS.title,
    ...(w.subtitle !== undefined ? { subtitle: w.subtitle } : {}),
    experts: experts.losses,
    ...(experts.validation.length > 0 ? { validation: experts.validation } : {}),
    ...(ev?.evaluation ? { evaluation: ev.evaluation } : {}),
    ...(ev?.adherence ? { adherence: ev.adherence } : {}),
    ...(samples?.samples ? { samples: samples.samples } : {}),
    settings,
    timings,
    caches: fromEngine ? upstreamReuse(upstream) : (cache?.cache ?? []),
    notes: notes.list,
  };
}

async function run(ctx: StepContext<ReportWith>): Promise<StepResult> {
  ctx.progress({ message: 'reading upstream outputs' });
  const data = await gatherReport(ctx.with, ctx.upstream);
  for (const n of data.notes) ctx.log.warn(n);
  const html = renderReport(data);
  await writeFile(join(ctx.outDir, OUTPUTS.html), html);
  const images =
    data.samples?.rows.reduce((n, r) => n + r.cells.filter((c) => c.image !== null).length, 0) ?? 0;
  ctx.log.info(
    `report.html: ${(html.length / 1024).toFixed(0)} KiB, ${images} images, ${data.notes.length} notes`,
  );
  return {
    summary: {
      bytes: Buffer.byteLength(html),
      images,
      notes: data.notes.length,
      timed_nodes: data.timings.length,
    },
  };
}

export const reportStep: StepDefinition<ReportWith> = {
  name: 'report',
  // 3: timings and cache reuse from the engine's record of the upstream nodes; strict adherence.
  version: '3',
  description:
    'One self-contained HTML page: loss curves, evaluation per timestep band, samples, configuration',
  withSchema: reportSchema,
  outputs: () => OUTPUTS,
  run,
};

export type { ReportWith } from './schema.js';
