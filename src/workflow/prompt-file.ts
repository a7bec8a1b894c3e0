// A JSON list of prompts (dataset.synthetic's prompts.json, or one a user writes), named in a step's `with`.
import { readFile } from 'node:fs/promises';
import { WorkflowError } from './sessions.js';

/** The prompts in `path`; `what` (the `with` key) starts every error message. */
export async function readPromptFile(path: string, what: string): Promise<string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new WorkflowError(`${what} ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
    throw new WorkflowError(`${what} ${path}: expected a JSON list of strings`);
  }
  return parsed as string[];
}
