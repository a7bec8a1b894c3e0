// The YAML document as plain data with a source range on every value: what the loader validates and
// turns into a `Pipeline`. Anchors and aliases are already expanded; keys are unique.
import type { SourceRange } from './diagnostic.js';
import type { JsonScalar, JsonValue } from './types.js';

export interface ScalarNode {
  readonly kind: 'scalar';
  readonly value: JsonScalar;
  readonly range: SourceRange;
  /** Offsets of the scalar's source text (quotes included), to place `${{ }}` parts inside strings. */
  readonly sourceStart: number;
  readonly sourceEnd: number;
}

export interface SeqNode {
  readonly kind: 'seq';
  readonly items: readonly YamlNode[];
  readonly range: SourceRange;
}

export interface MapEntry {
  readonly key: string;
  readonly keyRange: SourceRange;
  readonly value: YamlNode;
}

export interface MapNode {
  readonly kind: 'map';
  readonly entries: readonly MapEntry[];
  readonly range: SourceRange;
}

export type YamlNode = ScalarNode | SeqNode | MapNode;

export function entry(map: MapNode, key: string): MapEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

/** Sets an own property even for keys such as `__proto__`, which a plain assignment would not. */
export function defineKey(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  // defineProperty only where needed: it is slow and turns objects into dictionaries.
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

let jsonCache = new WeakMap<YamlNode, JsonValue>();

/**
 * Drops `toJson`'s memo once a pipeline is built: its entries die with the YAML tree, but a weak map
 * keeps the room it grew to (1 MB after a 10,000-node file, for the rest of the process).
 */
export function forgetJson(): void {
  jsonCache = new WeakMap();
}

/**
 * Plain JSON for ajv and for steps' `outputs(rawWith)`; strings keep their `${{ }}` text. Memoized: the
 * loader asks for the whole file and then for each `with` block, and the tree never changes.
 * Callers must not mutate the result.
 */
export function toJson(node: YamlNode): JsonValue {
  if (node.kind === 'scalar') return node.value;
  const known = jsonCache.get(node);
  if (known !== undefined) return known;
  let out: JsonValue;
  if (node.kind === 'seq') {
    out = node.items.map(toJson);
  } else {
    const map: Record<string, JsonValue> = {};
    for (const e of node.entries) defineKey(map, e.key, toJson(e.value));
    out = map;
  }
  jsonCache.set(node, out);
  return out;
}

/** The node at a JSON pointer (as ajv reports `instancePath`), with the map entry that holds it, if any. */
export function atPointer(root: YamlNode, pointer: string): { node: YamlNode; entry?: MapEntry } | undefined {
  if (pointer === '') return { node: root };
  let node: YamlNode = root;
  let found: MapEntry | undefined;
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node.kind === 'map') {
      found = entry(node, part);
      if (found === undefined) return undefined;
      node = found.value;
    } else if (node.kind === 'seq') {
      const item = node.items[Number(part)];
      if (item === undefined) return undefined;
      found = undefined;
      node = item;
    } else {
      return undefined;
    }
  }
  return found === undefined ? { node } : { node, entry: found };
}
