// A step's declared outputs and inputs, read at validation time from the `with` block, and checked:
// outputs stay inside the node's output directory; inputs are read-only, relative to the pipeline file's
// directory and inside it, or absolute (a model folder or a data set elsewhere, named on purpose). A path
// that an expression over params gives is judged by its value, like the same path written out.
import { isAbsolute } from 'node:path';
import type { Diagnostic, SourceRange } from './diagnostic.js';
import { toJson } from './node.js';
import type { YamlNode } from './node.js';
import { resolveInside } from './paths.js';
import type { JsonValue } from './types.js';
import type { StepDefinition } from '../contract/step.js';
import { thrownMessage } from '../util/thrown.js';

/** A fixed stand-in for the node's output directory: only whether a path escapes it matters here. */
const OUT_DIR = '/moe-out';
const PIPELINE_DIR = '/moe-pipeline';

/** Returns the declared output names, or undefined when the step could not say. */
export function stepOutputNames(
  step: StepDefinition<never>,
  withNode: YamlNode | undefined,
  fallback: SourceRange,
  diagnostics: Diagnostic[],
): readonly string[] | undefined {
  const outputs = listOutputs(step, withNode === undefined ? {} : toJson(withNode));
  if (typeof outputs === 'string') {
    diagnostics.push({
      severity: 'error',
      code: 'step-outputs',
      message: `step type \`${step.name}\` ${outputs}`,
      range: fallback,
    });
    return undefined;
  }
  return Object.keys(outputs);
}

/** The step's outputs for `value`, or why it could not list them. */
function listOutputs(
  step: StepDefinition<never>,
  value: JsonValue,
): Readonly<Record<string, string>> | string {
  let outputs: unknown;
  try {
    outputs = step.outputs(value as never);
  } catch (e) {
    return `could not list its outputs: ${thrownMessage(e)}`;
  }
  if (outputs instanceof Promise) {
    outputs.catch(() => undefined);
    return 'listed its outputs as a Promise, not a map of names to paths: outputs() must return the map itself, not be async';
  }
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs))
    return `listed its outputs as ${outputs === null ? 'null' : Array.isArray(outputs) ? 'a list' : typeof outputs}, not a map of names to paths`;
  for (const [name, path] of Object.entries(outputs))
    if (typeof path !== 'string')
      return `listed output \`${name}\` as ${path === null ? 'null' : Array.isArray(path) ? 'a list' : `a ${typeof path}`}, not a path`;
  return outputs as Readonly<Record<string, string>>;
}

/** Where a path of the `with` block was written, and the params it came from when an expression gave it. */
export type PathSource = (path: string) => {
  readonly range: SourceRange;
  readonly params?: readonly string[];
};

/**
 * Path errors in the step's outputs and inputs. `value` is the `with` block with each expression over
 * params replaced by its value; a path that still holds an expression is checked at run time.
 */
export function checkStepPaths(
  step: StepDefinition<never>,
  value: JsonValue,
  source: PathSource,
  diagnostics: Diagnostic[],
): void {
  const check = (
    path: unknown,
    dir: string,
    what: string,
    message: (error: string) => string,
    help: string,
  ): void => {
    if (typeof path !== 'string' || path.includes('${{')) return;
    const inside = resolveInside(dir, path, what);
    if (inside.ok) return;
    const { range, params } = source(path);
    const from =
      params === undefined || params.length === 0
        ? ''
        : ` (from ${params.map((p) => `\`params.${p}\``).join(', ')})`;
    diagnostics.push({
      severity: 'error',
      code: 'path-escape',
      message: message(inside.error) + from,
      range,
      suggestion: help,
    });
  };
  const outputs = listOutputs(step, value);
  for (const [name, path] of Object.entries(typeof outputs === 'string' ? {} : outputs))
    check(
      path,
      OUT_DIR,
      "the node's output directory",
      (error) => `output \`${name}\`: ${error}`,
      "write outputs as paths inside the node's output directory ($MOE_OUT), e.g. `model`; moe never writes elsewhere",
    );
  if (step.inputs === undefined) return;
  let inputs: unknown;
  try {
    inputs = step.inputs(value as never);
  } catch {
    // Inputs that depend on values known only at run time are checked then.
    return;
  }
  for (const path of Array.isArray(inputs) ? (inputs as unknown[]) : []) {
    // An absolute input is read where it is (and hashed into the fingerprint), never written.
    if (typeof path === 'string' && isAbsolute(path) && !path.includes('\0')) continue;
    check(
      path,
      PIPELINE_DIR,
      "the pipeline file's directory",
      (error) => `input ${error}`,
      `relative inputs are read inside ${dirOf(source(String(path)).range.file)}; write an absolute path to read from elsewhere`,
    );
  }
}

function dirOf(file: string): string {
  return file.replace(/[^/\\]+$/, '');
}
