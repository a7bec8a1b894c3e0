// An example moe plugin, written only against moe's public API (`import type … from 'moe'`): the
// dataset.synthetic step and the prompt-adherence scorer the evaluate step uses for its images.
// A plugin module exports `steps`; everything else here is for code that imports the plugin directly.
import type { PluginModule } from 'moe';
import { datasetSynthetic } from './step.js';

export const steps: PluginModule['steps'] = [datasetSynthetic];
export default { steps } satisfies PluginModule;

export { datasetSynthetic };
export {
  scoreAdherence,
  readScene,
  parsePrompt,
  PALETTE,
  type Adherence,
  type ImageRgb,
  type SceneReading,
} from './score.js';
export {
  COLOURS,
  COLOUR_NAMES,
  SHAPE_NAMES,
  VOCABULARY,
  allCombos,
  caption,
  type ColourName,
  type ShapeName,
  type Combo,
} from './palette.js';
export { renderScene, type Scene } from './render.js';
export { holdOut, sceneAt, evalPrompts } from './scenes.js';
