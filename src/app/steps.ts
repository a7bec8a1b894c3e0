// The step catalogue of this moe: every built-in step type and the plugins of a pipeline, in one
// registry. Only the step modules a pipeline names are imported, which keeps a cached rerun fast.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { StepProvider } from '../engine/open.js';
import { formatDiagnostics } from '../pipeline/format.js';
import { SourceFile } from '../pipeline/source.js';
import type { ListedPlugin } from '../steps/plugins.js';
import { builtinSteps } from '../steps/builtin.js';
import { StepRegistry } from '../steps/registry.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

/**
 * The step types for a pipeline file with text `text`: the built-in ones named in `used` (every one when
 * `used` is undefined or empty) and the file's plugins.
 */
export const catalogueSteps: StepProvider = (file, text, used) =>
  registryFor(file, text, used === undefined || used.size === 0 ? undefined : used);

/** Problems loading a pipeline's steps, as `moe validate` prints them (`file:line:col`, the line, help). */
export function renderStepProblems(diagnostics: readonly Diagnostic[]): string {
  return formatDiagnostics(diagnostics, {
    source: (f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return undefined;
      }
    },
    color: false,
    relativeTo: process.cwd(),
  }).trimEnd();
}

/** A registry with every built-in step and the plugins of `file` (when given). */
export async function stepRegistry(file: string | undefined): Promise<Result<StepRegistry, Diagnostic[]>> {
  if (file === undefined) return registryFor(undefined, '', undefined);
  const path = resolve(file);
  const text = await readFile(path, 'utf8').catch(() => '');
  return registryFor(path, text, undefined);
}

/**
 * `stepRegistry` for `moe steps` and `moe schema`, which a person runs on a pipeline file: one that is not
 * YAML cannot say which plugins it lists, so its syntax errors, not the built-ins alone. (A Slurm job's
 * `exec-node` reads the registry with `stepRegistry`, without parsing the whole file again.)
 */
export async function checkedStepRegistry(
  file: string | undefined,
): Promise<Result<StepRegistry, Diagnostic[]>> {
  if (file !== undefined) {
    const path = resolve(file);
    const text = await readFile(path, 'utf8').catch(() => '');
    const { parseYaml } = await import('../pipeline/yaml.js');
    const problems = parseYaml(new SourceFile(path, text)).diagnostics.filter((d) => d.severity === 'error');
    if (problems.length > 0) return err(problems);
  }
  return stepRegistry(file);
}

async function registryFor(
  path: string | undefined,
  text: string,
  used: ReadonlySet<string> | undefined,
): Promise<Result<StepRegistry, Diagnostic[]>> {
  const registry = new StepRegistry();
  const diagnostics: Diagnostic[] = [];
  for (const step of await builtinSteps(used)) registry.register(step, { origin: 'built-in' });
  const dir = path === undefined ? process.cwd() : dirname(path);
  const listed = path === undefined ? [] : await pluginsListed(path, text);
  if (path !== undefined && (listed.length > 0 || existsSync(join(dir, 'plugins')))) {
    const { loadPlugins } = await import('../steps/plugins.js');
    const plugins = await loadPlugins(path, dir, listed);
    diagnostics.push(...plugins.diagnostics);
    for (const { step, origin } of plugins.steps) {
      const r = registry.register(step, { origin });
      if (!r.ok) {
        const prefix = origin.startsWith('npm package ')
          ? origin.slice('npm package '.length).replace(/^@[^/]+\//, '')
          : basename(origin)
              .replace(/\.[^.]*$/, '')
              .replace(/^index$/, basename(dirname(origin)));
        diagnostics.push({
          severity: 'error',
          code: 'duplicate-step',
          message: r.error.message,
          suggestion: `give the plugin's step another name, e.g. \`${prefix}.${step.name}\``,
        });
      }
    }
  }
  return diagnostics.length > 0 ? err(diagnostics) : ok(registry);
}

/**
 * The `plugins:` list with where each entry is written, parsed only when the file has one. Malformed
 * values are left to the loader.
 */
async function pluginsListed(file: string, text: string): Promise<ListedPlugin[]> {
  if (!/^plugins[ \t]*:/m.test(text)) return [];
  try {
    const { isScalar, isSeq, parseDocument } = await import('yaml');
    const doc = parseDocument(text);
    const list = doc.get('plugins', true);
    if (!isSeq(list)) return [];
    const source = new SourceFile(file, text);
    const listed: ListedPlugin[] = [];
    for (const item of list.items) {
      if (!isScalar(item) || typeof item.value !== 'string' || item.value === '') continue;
      const [start, end] = item.range ?? [0, 0];
      listed.push({ name: item.value, range: source.range(start, end) });
    }
    return listed;
  } catch {
    return [];
  }
}
