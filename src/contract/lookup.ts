// How the loader and the engine find step types by name. The step registry (src/steps/registry.ts)
// implements it; tests hand in small maps.
import type { StepDefinition } from './step.js';

/** The step types a pipeline may use. */
export interface StepLookup {
  get(name: string): StepDefinition<never> | undefined;
  names(): readonly string[];
}
