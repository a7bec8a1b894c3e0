// The held-out evaluation split, a pure function of item ids and a seed.
import { hashUnit } from './hash.js';

export type Split = 'train' | 'eval';

/**
 * `fraction`: an item is held out when its hash falls below the fraction, so adding or removing other
 * items never moves an item between splits (the count is only approximately fraction·n).
 * `count`: exactly that many items, those with the smallest hashes.
 */
export function assignSplits(
  ids: readonly string[],
  rule: { readonly fraction: number } | { readonly count: number },
  seed: number,
): Map<string, Split> {
  const key = new Map(ids.map((id) => [id, hashUnit('split', seed, id)] as const));
  const out = new Map<string, Split>();
  if ('count' in rule) {
    const held = new Set(
      [...ids].sort((a, b) => (key.get(a) ?? 0) - (key.get(b) ?? 0) || (a < b ? -1 : 1)).slice(0, rule.count),
    );
    for (const id of ids) out.set(id, held.has(id) ? 'eval' : 'train');
  } else {
    for (const id of ids) out.set(id, (key.get(id) ?? 0) < rule.fraction ? 'eval' : 'train');
  }
  return out;
}
