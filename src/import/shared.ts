// What every importer's pipeline document shares: the experts' settings split into `defaults:` and each
// node's own, and the nodes that read the data the same way whichever trainer the settings came from.
import type { JsonValue } from '../pipeline/types.js';

export type Settings = Record<string, JsonValue>;

/** The experts' train.expert settings: what both have alike, and each one's own. */
export interface SplitSettings {
  shared: Settings;
  base: Settings;
  refiner: Settings;
}

const same = (a: JsonValue | undefined, b: JsonValue | undefined): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/** Settings both experts have alike go under `defaults:`; the rest stays on each node. */
export function splitShared(base: Settings, refiner: Settings): SplitSettings {
  const isShared = (key: string): boolean => key !== 'role' && same(base[key], refiner[key]);
  const pick = (w: Settings, keep: (key: string) => boolean) =>
    Object.fromEntries(Object.entries(w).filter(([k]) => keep(k)));
  return {
    shared: pick(base, isShared),
    base: pick(base, (k) => !isShared(k)),
    refiner: pick(refiner, (k) => !isShared(k)),
  };
}

/** embeds.cache over the dataset's manifest, on a GPU. */
export function cacheNode(): Settings {
  return {
    step: 'embeds.cache',
    with: {
      model: '${{ params.model }}',
      manifest: '${{ nodes.data.outputs.manifest }}',
      device: 'cuda',
    },
    resources: { gpu: 1 },
  };
}

/** The report's `with` entries every imported pipeline fills alike: evaluation, samples, cache, dataset. */
export function reportInputs(): Settings {
  return {
    evaluation: '${{ nodes.evaluate.outputs.results }}',
    samples: '${{ nodes.compose.outputs.index }}',
    images: '${{ nodes.compose.outputs.images }}',
    cache: '${{ nodes.cache.outputs.cache }}',
    dataset: '${{ nodes.data.outputs.report }}',
  };
}
