// Every step type that ships with moe, by name, each behind a dynamic import: a pipeline pays start-up
// time only for the step types it uses (the image steps pull in sharp, the model steps onnxruntime).
import type { StepDefinition } from '../contract/step.js';

type Loader = () => Promise<StepDefinition<never>>;

const BUILTIN: Readonly<Record<string, Loader>> = {
  command: async () => (await import('./command/index.js')).commandStep as unknown as StepDefinition<never>,
  'dataset.images': async () =>
    (await import('./dataset/index.js')).datasetImages as unknown as StepDefinition<never>,
  'compose.inference': async () =>
    (await import('./diffusion/compose/index.js')).composeInferenceStep as unknown as StepDefinition<never>,
  'embeds.cache': async () =>
    (await import('./diffusion/embeds-cache/index.js')).embedsCacheStep as unknown as StepDefinition<never>,
  evaluate: async () =>
    (await import('./diffusion/evaluate/index.js')).evaluateStep as unknown as StepDefinition<never>,
  'models.tiny': async () =>
    (await import('./models/tiny.js')).modelsTinyStep as unknown as StepDefinition<never>,
  report: async () => (await import('./report/index.js')).reportStep as unknown as StepDefinition<never>,
  'train.expert': async () =>
    (await import('./train/index.js')).trainExpertStep as unknown as StepDefinition<never>,
};

export function builtinStepNames(): readonly string[] {
  return Object.keys(BUILTIN).sort();
}

/**
 * The built-in step definitions: all of them, or those named in `only` (unknown names are ignored, so a
 * caller may pass every `step:` value it found in a pipeline).
 */
export async function builtinSteps(only?: Iterable<string>): Promise<StepDefinition<never>[]> {
  const names =
    only === undefined
      ? builtinStepNames()
      : [...new Set(only)].filter((n) => Object.hasOwn(BUILTIN, n)).sort();
  return Promise.all(names.map((n) => (BUILTIN[n] as Loader)()));
}
