// Plugin steps: modules in `plugins/` beside the pipeline file, and entries under `plugins:` in the
// pipeline (npm package names, or paths starting with `.` or `/` relative to the pipeline file). A plugin
// module exports `steps` (named, or on its default export). Problems come back as diagnostics naming
// the file, never as a stack trace.
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Diagnostic, SourceRange } from '../pipeline/diagnostic.js';
import type { StepDefinition } from '../contract/step.js';
import { thrownMessage } from '../util/thrown.js';
import { jsonSyntaxError } from '../util/json-syntax.js';

export interface LoadedPluginStep {
  readonly step: StepDefinition<never>;
  /** The file or package it came from. */
  readonly origin: string;
}

/** An entry of a pipeline's `plugins:`, and where the pipeline writes it. */
export interface ListedPlugin {
  readonly name: string;
  readonly range?: SourceRange;
}

export interface PluginLoad {
  readonly steps: readonly LoadedPluginStep[];
  readonly diagnostics: readonly Diagnostic[];
}

const MODULE_EXT = ['.js', '.mjs', '.ts', '.mts'];

/**
 * The plugin entry points found in `dir/plugins/`, sorted; why a folder there has none that can load (its
 * package.json) goes to `problems`.
 */
export function localPluginFiles(pipelineDir: string, problems: string[] = []): string[] {
  const root = join(pipelineDir, 'plugins');
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of names) {
    const abs = join(root, name);
    // A dangling link has no stat: it is listed by its name, and loading it says where it points.
    if (statSync(abs, { throwIfNoEntry: false })?.isDirectory() === true) {
      const entry = directoryEntry(abs, problems);
      if (entry) found.push(entry);
    } else if (
      MODULE_EXT.some((e) => name.endsWith(e)) &&
      !name.endsWith('.d.ts') &&
      !name.includes('.test.')
    ) {
      found.push(abs);
    }
  }
  return found;
}

/**
 * A plugin folder's module: its package.json's `main`, else an index module. A package.json that is not
 * JSON, or whose `main` is missing, goes to `problems` (named, instead of the folder being passed over).
 */
function directoryEntry(dir: string, problems: string[]): string | undefined {
  const pkgFile = join(dir, 'package.json');
  let text: string | undefined;
  try {
    text = readFileSync(pkgFile, 'utf8');
  } catch {
    // No package.json: look for an index module.
  }
  if (text !== undefined) {
    let main: unknown;
    try {
      main = (JSON.parse(text) as { main?: unknown }).main;
    } catch (e) {
      problems.push(`plugin ${dir}: ${jsonSyntaxError(pkgFile, text, e)}`);
      return undefined;
    }
    if (typeof main === 'string') {
      if (existsSync(join(dir, main))) return join(dir, main);
      problems.push(
        `plugin ${dir}: its package.json names "main": ${JSON.stringify(main)}, which does not exist`,
      );
      return undefined;
    }
  }
  for (const ext of MODULE_EXT) if (existsSync(join(dir, `index${ext}`))) return join(dir, `index${ext}`);
  return undefined;
}

/** Loads every plugin of a pipeline: `plugins/` beside it, then the `plugins:` entries in order. */
export async function loadPlugins(
  pipelineFile: string,
  pipelineDir: string,
  listed: readonly (string | ListedPlugin)[],
): Promise<PluginLoad> {
  const steps: LoadedPluginStep[] = [];
  const diagnostics: Diagnostic[] = [];
  const problems: string[] = [];
  const targets: { readonly spec: string; readonly origin: string; readonly range?: SourceRange }[] =
    localPluginFiles(pipelineDir, problems).map((f) => ({ spec: f, origin: f }));
  diagnostics.push(...problems.splice(0).map(problem));
  for (const item of listed) {
    const { name: entry, range } = typeof item === 'string' ? { name: item, range: undefined } : item;
    const at = range === undefined ? {} : { range };
    if (entry.startsWith('.') || isAbsolute(entry)) {
      const abs = resolve(pipelineDir, entry);
      const file = existsSync(abs) && statSync(abs).isDirectory() ? directoryEntry(abs, problems) : abs;
      if (problems.length > 0) {
        diagnostics.push(...problems.splice(0).map((m) => ({ ...problem(m), ...at })));
        continue;
      }
      if (!file || !existsSync(file)) {
        diagnostics.push({
          ...problem(`plugin ${entry} (listed in ${pipelineFile}) not found at ${abs}`),
          ...at,
          suggestion: 'write the path of a module or of a folder with one, relative to the pipeline file',
        });
        continue;
      }
      targets.push({ spec: file, origin: file, ...at });
    } else targets.push({ spec: entry, origin: `npm package ${entry}`, ...at });
  }
  for (const t of targets) {
    const loaded = await loadOne(t.spec, t.origin, pipelineDir);
    if ('diagnostic' in loaded)
      diagnostics.push(t.range === undefined ? loaded.diagnostic : { ...loaded.diagnostic, range: t.range });
    else for (const step of loaded.steps) steps.push({ step, origin: t.origin });
  }
  return { steps, diagnostics };
}

async function loadOne(
  spec: string,
  origin: string,
  pipelineDir: string,
): Promise<{ readonly steps: StepDefinition<never>[] } | { readonly diagnostic: Diagnostic }> {
  let mod: unknown;
  const isFile = isAbsolute(spec);
  try {
    if (isFile && /\.m?ts$/.test(spec)) await enableTypeScript(spec);
    const target = isFile ? pathToFileURL(spec).href : resolvePackage(spec, pipelineDir);
    mod = await import(target);
  } catch (e) {
    const link = isFile ? danglingLink(spec) : undefined;
    if (link !== undefined) {
      return {
        diagnostic: problem(
          `plugin ${origin} could not be loaded: it is a link to ${link}, which does not exist`,
        ),
      };
    }
    const first = thrownMessage(e).split('\n')[0] ?? '';
    // Outside an ES-module package, tsx loads a .ts plugin as CommonJS and Node fails with a message about
    // require() cycles that does not say what to do.
    if (isAbsolute(spec) && /\.ts$/.test(spec) && packageType(dirname(spec)) !== 'module') {
      return {
        diagnostic: problem(
          `plugin ${origin} could not be loaded: a TypeScript plugin loads as an ES module, and no package.json above it says "type": "module"; add one with {"type": "module"} beside the plugin, or name the file .mts (${first})`,
        ),
      };
    }
    if (!isFile && (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      return {
        diagnostic: {
          ...problem(`plugin ${origin} could not be loaded: ${first.replace(/ imported from .*$/, '')}`),
          suggestion: `install it where the pipeline is (npm install ${spec}), or write a file's path starting with ./`,
        },
      };
    }
    const { syntaxErrorPlace, transformError } = await import('./plugin-syntax.js');
    // A TypeScript plugin that does not compile: tsx's first line says only "Transform failed".
    const transform = isFile ? transformError(e, spec) : undefined;
    const where = !isFile
      ? undefined
      : (transform?.where ?? (e instanceof SyntaxError ? syntaxErrorPlace(spec, first) : placeIn(e, spec)));
    const why = transform?.message ?? first;
    return {
      diagnostic: problem(`plugin ${origin} could not be loaded: ${why}${where ? ` (at ${where})` : ''}`),
    };
  }
  const exported = pluginSteps(mod);
  if (!Array.isArray(exported)) {
    // Every module directly in plugins/ is loaded as a plugin, so a helper module there is one too.
    const helper = isFile && dirname(spec) === join(pipelineDir, 'plugins');
    return {
      diagnostic: {
        ...problem(`plugin ${origin} does not export \`steps\` (an array of step definitions)`),
        suggestion: helper
          ? `export \`steps\` from it; a helper module belongs in a plugin's own folder (plugins/NAME/ with an index module beside its helpers) or outside plugins/, since every module directly in plugins/ is loaded as a plugin`
          : 'export `steps` from it: `export const steps = [ … ]`',
      },
    };
  }
  const steps: StepDefinition<never>[] = [];
  for (const [i, s] of (exported as unknown[]).entries()) {
    const why = invalidStep(s);
    if (why) return { diagnostic: problem(`plugin ${origin}: steps[${i}] ${why}`) };
    steps.push(s as StepDefinition<never>);
  }
  return { steps };
}

/** `file:line:col` of the first place in the plugin's own folder that the error's stack names. */
function placeIn(e: unknown, file: string): string | undefined {
  const stack = e instanceof Error ? e.stack : undefined;
  if (stack === undefined) return undefined;
  const folder = pathToFileURL(dirname(file)).href;
  for (const m of stack.matchAll(/(file:\/\/[^\s()]+?):(\d+)(?::(\d+))?(?=[\s)]|$)/g)) {
    const url = m[1] ?? '';
    if (!url.startsWith(`${folder}/`)) continue;
    return `${fileURLToPath(url)}:${m[2]}${m[3] !== undefined ? `:${m[3]}` : ''}`;
  }
  return undefined;
}

/** Where `file` points when it is a link to nothing. */
function danglingLink(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() && !existsSync(file)
      ? resolve(dirname(file), readlinkSync(file))
      : undefined;
  } catch {
    return undefined;
  }
}

function pluginSteps(mod: unknown): unknown {
  if (typeof mod !== 'object' || mod === null) return undefined;
  const m = mod as { steps?: unknown; default?: { steps?: unknown } };
  return m.steps ?? m.default?.steps;
}

function invalidStep(s: unknown): string | undefined {
  if (typeof s !== 'object' || s === null) return 'is not an object';
  const d = s as Record<string, unknown>;
  if (typeof d['name'] !== 'string' || d['name'] === '') return 'has no `name`';
  const name = JSON.stringify(d['name']);
  if (typeof d['version'] !== 'string') return `(${name}) has no \`version\` string`;
  if (typeof d['run'] !== 'function') return `(${name}) has no \`run\` function`;
  if (typeof d['outputs'] !== 'function') return `(${name}) has no \`outputs\` function`;
  if (typeof d['withSchema'] !== 'object' || d['withSchema'] === null)
    return `(${name}) has no \`withSchema\` object`;
  return undefined;
}

/** npm packages resolve from the pipeline's directory first (a project's own node_modules), then from moe's. */
function resolvePackage(name: string, pipelineDir: string): string {
  try {
    return pathToFileURL(createRequire(join(pipelineDir, 'package.json')).resolve(name)).href;
  } catch {
    return name;
  }
}

/** The `type` of the nearest package.json at or above `dir` (Node's rule for .js and, through tsx, .ts). */
function packageType(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, 'package.json');
    if (existsSync(file)) {
      try {
        const type = (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type;
        return typeof type === 'string' ? type : undefined;
      } catch {
        return undefined;
      }
    }
    if (dirname(d) === d) return undefined;
  }
}

let tsEnabled: Promise<void> | undefined;

/** TypeScript plugins load through tsx when it is installed (it is in a development checkout). */
function enableTypeScript(file: string): Promise<void> {
  tsEnabled ??= import('tsx/esm/api').then(
    (api: { register: () => unknown }) => {
      api.register();
    },
    () => {
      throw new Error(`${file} is TypeScript; compile it to JavaScript or install tsx`);
    },
  );
  return tsEnabled;
}

function problem(message: string): Diagnostic {
  return { severity: 'error', code: 'plugin', message };
}
