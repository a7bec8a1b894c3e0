// A step's declared outputs and inputs, read at validation time from the `with` block as written, and
// checked to stay inside their directories.
import type { Diagnostic, SourceRange } from './diagnostic.js';
import { toJson } from './node.js';
import type { YamlNode } from './node.js';
import { resolveInside } from './paths.js';
import type { StepDefinition } from '../contract/step.js';

/** A fixed stand-in for the node's output directory: only whether a path escapes it matters here. */
const OUT_DIR = '/moe-out';
const PIPELINE_DIR = '/moe-pipeline';

/** Returns the declared output names, or undefined when the step could not say. */
export function checkStepPaths(
  step: StepDefinition<never>,
  withNode: YamlNode | undefined,
  fallback: SourceRange,
  file: string,
  diagnostics: Diagnostic[],
): readonly string[] | undefined {
  const raw = withNode === undefined ? {} : toJson(withNode);
  const where = (text: string): SourceRange =>
    (withNode === undefined ? undefined : findString(withNode, text)) ?? fallback;
  let outputs: Readonly<Record<string, string>>;
  try {
    outputs = step.outputs(raw);
  } catch (e) {
    diagnostics.push({
      severity: 'error',
      code: 'step-outputs',
      message: `step type \`${step.name}\` could not list its outputs: ${e instanceof Error ? e.message : String(e)}`,
      range: fallback,
    });
    return undefined;
  }
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) {
    diagnostics.push({
      severity: 'error',
      code: 'step-outputs',
      message: `step type \`${step.name}\` listed its outputs as ${outputs === null ? 'null' : Array.isArray(outputs) ? 'a list' : typeof outputs}, not a map of names to paths`,
      range: fallback,
    });
    return undefined;
  }
  /** A path-escape error at `path` when it leaves `dir`; a path with an expression is checked at run time. */
  const checkInside = (
    path: unknown,
    [dir, what]: readonly [string, string],
    message: (error: string) => string,
    suggestion: string,
  ): void => {
    if (typeof path !== 'string' || path.includes('${{')) return;
    const inside = resolveInside(dir, path, what);
    if (!inside.ok)
      diagnostics.push({
        severity: 'error',
        code: 'path-escape',
        message: message(inside.error),
        range: where(path),
        suggestion,
      });
  };
  for (const [name, path] of Object.entries(outputs))
    checkInside(
      path,
      [OUT_DIR, "the node's output directory"],
      (error) => `output \`${name}\`: ${error}`,
      "write outputs as paths inside the node's output directory ($MOE_OUT), e.g. `model`",
    );
  if (step.inputs !== undefined) {
    let inputs: readonly string[];
    try {
      inputs = step.inputs(raw as never);
    } catch {
      // Inputs that depend on resolved expressions are checked at run time.
      inputs = [];
    }
    for (const path of Array.isArray(inputs) ? inputs : [])
      checkInside(
        path,
        [PIPELINE_DIR, "the pipeline file's directory"],
        (error) => `input ${error}`,
        `inputs are read relative to ${file.replace(/[^/\\]+$/, '')}`,
      );
  }
  return Object.keys(outputs);
}

/** The range of the first string value equal to `text`, to point at the path the user wrote. */
function findString(node: YamlNode, text: string): SourceRange | undefined {
  switch (node.kind) {
    case 'scalar':
      return node.value === text ? node.range : undefined;
    case 'seq':
      for (const i of node.items) {
        const r = findString(i, text);
        if (r !== undefined) return r;
      }
      return undefined;
    case 'map':
      for (const e of node.entries) {
        const r = findString(e.value, text);
        if (r !== undefined) return r;
      }
      return undefined;
  }
}
