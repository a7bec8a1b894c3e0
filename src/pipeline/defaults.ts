// `defaults:` — settings written once for every node of a step type (the two experts' shared training
// settings, for example). A node's own values win; maps merge key by key, anything else is replaced.
// The merge works on the YAML tree, so every value keeps the range where it was written and diagnostics
// about a shared value point into `defaults:`.
import type { Diagnostic } from './diagnostic.js';
import { entry } from './node.js';
import type { MapEntry, MapNode, YamlNode } from './node.js';
import type { StepLookup } from '../contract/lookup.js';
import { didYouMean } from './suggest.js';

/** The `defaults:` block by step type name. */
export type StepDefaults = ReadonlyMap<string, MapNode>;

/**
 * Reads `defaults:`. A key that names no known step type is an error with a "did you mean": defaults that
 * apply to nothing are always a mistake. Shapes were checked by the schema; what is not a map is skipped.
 */
export function readDefaults(
  node: YamlNode | undefined,
  steps: StepLookup,
  diagnostics: Diagnostic[],
): StepDefaults {
  const out = new Map<string, MapNode>();
  if (node?.kind !== 'map') return out;
  for (const e of node.entries) {
    if (steps.get(e.key) === undefined) {
      const known = steps.names();
      const guess = didYouMean(e.key, known);
      diagnostics.push({
        severity: 'error',
        code: 'unknown-step',
        message: `defaults for unknown step type \`${e.key}\``,
        range: e.keyRange,
        suggestion:
          guess ?? (known.length > 0 ? `step types: ${[...known].sort().join(', ')}` : 'no step types'),
      });
      continue;
    }
    if (e.value.kind === 'map') out.set(e.key, e.value);
  }
  return out;
}

/** The node with its step type's defaults underneath it; the node itself when there are none. */
export function withDefaults(node: MapNode, defaults: StepDefaults): MapNode {
  const step = entry(node, 'step')?.value;
  if (step?.kind !== 'scalar' || typeof step.value !== 'string') return node;
  const shared = defaults.get(step.value);
  return shared === undefined ? node : mergeMaps(shared, node);
}

/**
 * `over` on top of `under`: keys of `under` first (in their order), each replaced or merged by `over`'s
 * entry of the same key, then `over`'s other keys. The result's range is `over`'s, as it is the node the
 * user wrote.
 */
export function mergeMaps(under: MapNode, over: MapNode): MapNode {
  const entries: MapEntry[] = [];
  const taken = new Set<string>();
  for (const u of under.entries) {
    const o = entry(over, u.key);
    if (o === undefined) entries.push(u);
    else {
      taken.add(u.key);
      entries.push(
        u.value.kind === 'map' && o.value.kind === 'map' ? { ...o, value: mergeMaps(u.value, o.value) } : o,
      );
    }
  }
  for (const o of over.entries) if (!taken.has(o.key)) entries.push(o);
  return { kind: 'map', entries, range: over.range };
}

/**
 * A mistake written once in `defaults:` is found once per node that uses it; it is reported once, at the
 * place it was written (messages differ only by the node they name).
 */
export function dropRepeats(diagnostics: readonly Diagnostic[], block: YamlNode | undefined): Diagnostic[] {
  if (block === undefined) return [...diagnostics];
  const { start, end } = block.range;
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const r = d.range;
    if (r === undefined || r.file !== block.range.file) return true;
    if (r.start.offset < start.offset || r.end.offset > end.offset) return true;
    const key = `${d.code}\0${r.start.offset}\0${r.end.offset}\0${d.message.replace(/`nodes\.[^.`]+\./g, '`nodes.*.')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
