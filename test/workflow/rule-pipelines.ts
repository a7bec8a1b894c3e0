// The pipeline the cross-stage rule tests check: models.tiny and embeds.cache, two train.expert nodes and one
// consumer of both (compose.inference by default), each with the `with` lines a test adds; and the
// diagnostics `moe validate` reports for it, as `p.yaml:line:col: severity: message` lines.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPipeline } from '../../src/app/open.js';
import type { Diagnostic } from '../../src/pipeline/index.js';
import { workflowRules } from '../../src/workflow/rules.js';

export interface ExpertsPipeline {
  readonly name: string;
  /** The pipeline's params, in order. */
  readonly params: Readonly<Record<string, number>>;
  /** Extra `with` lines of the base expert, the refiner and the consumer (one per line). */
  readonly base?: string | undefined;
  readonly refiner?: string | undefined;
  readonly compose?: string | undefined;
  /** The consumer's step. @default 'compose.inference' */
  readonly consumer?: string | undefined;
  /** The base node's role. @default 'base' */
  readonly baseRole?: string | undefined;
}

const withLines = (s: string | undefined): string =>
  (s ?? '')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => `      ${l}\n`)
    .join('');

const expert = (name: string, role: string, extra: string | undefined): string =>
  `  ${name}:\n    step: train.expert\n    with:\n      role: ${role}\n` +
  '      model: ${{ nodes.model.outputs.model }}\n      cache: ${{ nodes.cache.outputs.cache }}\n' +
  withLines(extra);

export function expertsPipeline(o: ExpertsPipeline): string {
  const params = Object.entries(o.params)
    .map(([k, v]) => `  ${k}: ${v}\n`)
    .join('');
  return (
    `version: 1\nname: ${o.name}\nparams:\n${params}nodes:\n` +
    '  model:\n    step: models.tiny\n' +
    '  cache:\n    step: embeds.cache\n    with:\n      model: ${{ nodes.model.outputs.model }}\n      manifest: data/manifest.jsonl\n' +
    expert('base', o.baseRole ?? 'base', o.base) +
    expert('refiner', 'refiner', o.refiner) +
    `  compose:\n    step: ${o.consumer ?? 'compose.inference'}\n    with:\n` +
    '      model: ${{ nodes.model.outputs.model }}\n      base: ${{ nodes.base.outputs.unet }}\n      refiner: ${{ nodes.refiner.outputs.unet }}\n' +
    withLines(o.compose)
  );
}

/** The diagnostics of a pipeline text, opened with the workflow rules. */
export async function ruleDiagnostics(text: string, o: { help?: boolean } = {}): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'moe-rules-'));
  const file = join(dir, 'p.yaml');
  await writeFile(file, text);
  const opened = await openPipeline(file, { rules: workflowRules });
  const diagnostics: readonly Diagnostic[] = opened.ok ? opened.value.warnings : opened.error.diagnostics;
  return diagnostics.map(
    (d) =>
      `${d.range ? `p.yaml:${d.range.start.line}:${d.range.start.column}: ` : ''}${d.severity}: ${d.message}` +
      (o.help === true && d.suggestion !== undefined ? ` [help: ${d.suggestion}]` : ''),
  );
}
