// The one registry of step types. Built-in steps and plugin steps register the same way, and a name can be
// registered once only: two plugins that both claim `train.expert` are an error, not a silent override.
import type { StepLookup } from '../contract/lookup.js';
import type { StepDefinition } from '../contract/step.js';
import type { Result } from '../util/result.js';
import { err, ok } from '../util/result.js';

export interface StepSource {
  /** Where the step came from, for error messages: `built-in`, a plugin file, an npm package. */
  readonly origin: string;
}

export interface DuplicateStep {
  readonly reason: 'duplicate-step';
  readonly name: string;
  readonly first: string;
  readonly second: string;
  readonly message: string;
}

export class StepRegistry implements StepLookup {
  readonly #steps = new Map<string, { readonly def: StepDefinition<never>; readonly origin: string }>();

  register(def: StepDefinition<never>, source: StepSource): Result<void, DuplicateStep> {
    const existing = this.#steps.get(def.name);
    if (existing) {
      return err({
        reason: 'duplicate-step',
        name: def.name,
        first: existing.origin,
        second: source.origin,
        message: `step type ${JSON.stringify(def.name)} from ${source.origin} is already registered by ${existing.origin}`,
      });
    }
    this.#steps.set(def.name, { def, origin: source.origin });
    return ok(undefined);
  }

  get(name: string): StepDefinition<never> | undefined {
    return this.#steps.get(name)?.def;
  }

  originOf(name: string): string | undefined {
    return this.#steps.get(name)?.origin;
  }

  names(): readonly string[] {
    return [...this.#steps.keys()].sort();
  }
}
