// Prompt-adherence scorers for `evaluate`: a function (image, prompt) → score in [0, 1]. evaluate finds one
// by name among the scorers registered in-process and those that plugins export as `scorers` (a map from
// name to function; the caller passes the plugin files, those beside the pipeline), or by module and export name
// (`{ module: ../plugins/synthetic-shapes, export: scoreAdherence }`) for a function a module exports
// under another name.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RgbImage } from '../imaging/index.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

/** A score in [0, 1], or an object holding one (a plugin may return details beside it). */
export type ScoreValue = number | { readonly score: number };
export type ScoreFn = (image: RgbImage, prompt: string) => ScoreValue | Promise<ScoreValue>;

export type ScorerSpec = string | { readonly module: string; readonly export?: string };

export interface Scorer {
  readonly name: string;
  score(image: RgbImage, prompt: string): Promise<number>;
  /** The score with the scorer's whole answer (a plain number, or an object with its checks and more). */
  answer(image: RgbImage, prompt: string): Promise<{ readonly score: number; readonly value: ScoreValue }>;
}

const registry = new Map<string, ScoreFn>();

/** Adds a scorer by name (for code that embeds moe); a duplicate name is refused. */
export function registerScorer(name: string, fn: ScoreFn): Result<void, string> {
  if (registry.has(name)) return err(`a scorer named ${name} is already registered`);
  registry.set(name, fn);
  return ok(undefined);
}

function wrap(name: string, fn: ScoreFn): Scorer {
  const answer = async (image: RgbImage, prompt: string) => {
    const value = await fn(image, prompt);
    const score = typeof value === 'number' ? value : (value as { score?: unknown } | null)?.score;
    if (typeof score !== 'number' || !Number.isFinite(score))
      throw new Error(`scorer ${name} returned no numeric score`);
    return { score, value };
  };
  return { name, answer, score: async (image, prompt) => (await answer(image, prompt)).score };
}

let tsx: Promise<void> | undefined;
async function importModule(file: string): Promise<Record<string, unknown>> {
  if (/\.m?ts$/.test(file)) {
    tsx ??= import('tsx/esm/api').then((api: { register: () => unknown }) => {
      api.register();
    });
    await tsx;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function moduleFile(path: string): string | undefined {
  if (existsSync(path) && statSync(path).isDirectory()) {
    for (const ext of ['.js', '.mjs', '.ts', '.mts'])
      if (existsSync(join(path, `index${ext}`))) return join(path, `index${ext}`);
    return undefined;
  }
  return existsSync(path) ? path : undefined;
}

function exportedScorers(mod: Record<string, unknown>): Record<string, unknown> {
  const direct = mod['scorers'];
  const viaDefault = (mod['default'] as Record<string, unknown> | undefined)?.['scorers'];
  const found = direct ?? viaDefault;
  return typeof found === 'object' && found !== null ? (found as Record<string, unknown>) : {};
}

/**
 * Finds the scorer a pipeline names: by module (relative to `pipelineDir`), registered in-process, or
 * exported as `scorers` by one of `pluginFiles`. Every failure is a message for the user.
 */
export async function findScorer(
  spec: ScorerSpec,
  pipelineDir: string,
  pluginFiles: readonly string[],
): Promise<Result<Scorer, string>> {
  if (typeof spec !== 'string') {
    const path = isAbsolute(spec.module) ? spec.module : resolve(pipelineDir, spec.module);
    const file = moduleFile(path);
    if (file === undefined) return err(`scorer module ${spec.module}: not found at ${path}`);
    const name = spec.export ?? 'score';
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(file);
    } catch (e) {
      return err(
        `scorer module ${spec.module} could not be loaded: ${(e as Error).message.split('\n')[0] ?? ''}`,
      );
    }
    const fn = mod[name];
    if (typeof fn !== 'function') return err(`scorer module ${spec.module} exports no function ${name}`);
    return ok(wrap(`${spec.module}#${name}`, fn as ScoreFn));
  }
  const known = registry.get(spec);
  if (known) return ok(wrap(spec, known));
  const names: string[] = [...registry.keys()];
  for (const file of pluginFiles) {
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(file);
    } catch {
      continue;
    }
    const scorers = exportedScorers(mod);
    const fn = scorers[spec];
    if (typeof fn === 'function') return ok(wrap(spec, fn as ScoreFn));
    names.push(...Object.keys(scorers));
  }
  return err(
    `no scorer named ${spec}` +
      (names.length > 0
        ? ` (known: ${names.sort().join(', ')})`
        : ' (no plugin beside the pipeline exports `scorers`)') +
      '; or name a module and its function: { module: path/to/plugin, export: functionName }',
  );
}
