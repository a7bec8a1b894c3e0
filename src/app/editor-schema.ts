// The editor schema of a pipeline's step types (`moe schema`, `npm run schema`): it needs the catalogue,
// the built-in steps and a pipeline's plugins, so it is composed here.
import { isAbsolute } from 'node:path';
import type { EditorStep } from '../pipeline/schema/generate.js';
import { buildPipelineSchema, renderSchema } from '../pipeline/schema/generate.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';
import { checkedStepRegistry, renderStepProblems } from './steps.js';

/** The schema's text for the built-in steps, plus `file`'s plugins' when a pipeline file is given. */
export async function editorSchemaText(
  file: string | undefined,
): Promise<Result<{ text: string; steps: string[]; sources: string[] }, string>> {
  const registry = await checkedStepRegistry(file);
  if (!registry.ok) return err(renderStepProblems(registry.error));
  const steps: EditorStep[] = [];
  const broken: string[] = [];
  const { compileSchema } = await import('../pipeline/schema/validate.js');
  for (const name of registry.value.names()) {
    const step = registry.value.get(name);
    if (step === undefined) continue;
    steps.push(step);
    // A parameter schema that does not compile would break the editor's check of the whole file.
    const compiled = compileSchema(step.withSchema);
    if ('error' in compiled)
      broken.push(
        `step type \`${name}\` (${registry.value.originOf(name) ?? 'built-in'}) has a parameter schema that does not compile: ${compiled.error}; fix its withSchema where it is defined`,
      );
  }
  if (broken.length > 0) return err(broken.join('\n'));
  // The files the schema is made from: the pipeline and its plugin files (an npm package's origin is no path).
  const origins = steps.map((s) => registry.value.originOf(s.name) ?? '').filter((o) => isAbsolute(o));
  return ok({
    text: renderSchema(buildPipelineSchema(steps)),
    steps: steps.map((s) => s.name),
    sources: [...(file === undefined ? [] : [file]), ...new Set(origins)],
  });
}
