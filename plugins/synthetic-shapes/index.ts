// An example moe plugin, written only against moe's public API (`moe`, `moe/diffusion`): the
// dataset.synthetic step and the prompt-adherence scorer the evaluate step uses for its images.
// A plugin module exports `steps`; everything else here is for code that imports the plugin directly.
import type { PluginModule } from 'moe';
import { scoreAdherence } from './score.js';
import { datasetSynthetic } from './step.js';

export const steps: PluginModule['steps'] = [datasetSynthetic];
/** Prompt-adherence scorers by name, for `evaluate`'s `scorer: synthetic-shapes`. */
export const scorers = { 'synthetic-shapes': scoreAdherence };
export default { steps, scorers } satisfies PluginModule & { scorers: typeof scorers };

export { datasetSynthetic };
export { scoreAdherence };
export {
  readScene,
  parsePrompt,
  PALETTE,
  CHECK_LABELS,
  readingOf,
  type Adherence,
  type CheckLabel,
  type ImageRgb,
  type SceneReading,
} from './score.js';
export {
  COLOURS,
  COLOUR_NAMES,
  SHAPE_NAMES,
  VOCABULARY,
  allCombos,
  FULL_VOCABULARY,
  caption,
  type ColourName,
  type ShapeName,
  type Combo,
  type Vocabulary,
} from './palette.js';
export { renderScene, type Scene } from './render.js';
export { holdOut, sceneAt, evalPrompts } from './scenes.js';
