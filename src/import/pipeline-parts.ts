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
function reportInputs(): Settings {
  return {
    evaluation: '${{ nodes.evaluate.outputs.results }}',
    samples: '${{ nodes.compose.outputs.index }}',
    images: '${{ nodes.compose.outputs.images }}',
    cache: '${{ nodes.cache.outputs.cache }}',
    dataset: '${{ nodes.data.outputs.report }}',
  };
}

/** The experts' trained UNets, as compose.inference and evaluate take them. */
export const EXPERT_UNETS: Settings = {
  base: '${{ nodes.base.outputs.unet }}',
  refiner: '${{ nodes.refiner.outputs.unet }}',
};

/** The report's files of expert `id` (its metrics and training.json, and the named extra outputs). */
function expertReport(id: string, extra: readonly string[] = []): Settings {
  const out: Settings = {};
  for (const key of ['metrics', 'config', ...extra]) out[key] = `\${{ nodes.${id}.outputs.${key} }}`;
  return out;
}

/**
 * evaluate of both experts and the pair on the held-out split: `settings` say how (the split, the
 * objective), `seeded` whether the pipeline has a seed param to evaluate with.
 */
export function evaluateNode(settings: Settings, seeded: boolean): Settings {
  return {
    step: 'evaluate',
    with: {
      model: '${{ params.model }}',
      cache: '${{ nodes.cache.outputs.cache }}',
      ...EXPERT_UNETS,
      ...settings,
      split: 'eval',
      ...(seeded ? { seed: '${{ params.seed }}' } : {}),
      device: 'cuda',
    },
    resources: { gpu: 1 },
  };
}

/** The report of the run under `title`, with each expert's files (and `extra` outputs of each). */
export function reportNode(title: string, extra: readonly string[] = []): Settings {
  return {
    step: 'report',
    with: {
      title,
      experts: { base: expertReport('base', extra), refiner: expertReport('refiner', extra) },
      ...reportInputs(),
    },
  };
}
