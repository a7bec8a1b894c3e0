/** The gradient rules by op: one rule per op, duplicates refused. */
import type { GradRule } from './rule.js';

export class GradRegistry {
  private readonly rules = new Map<string, GradRule>();

  constructor(rules: readonly GradRule[] = []) {
    for (const r of rules) this.register(r);
  }

  /** Adds a rule; a second rule for the same op is a programming error. */
  register(rule: GradRule): void {
    if (this.rules.has(rule.op)) throw new Error(`a gradient rule for ${rule.op} is already registered`);
    this.rules.set(rule.op, rule);
  }

  get(op: string): GradRule | undefined {
    return this.rules.get(op);
  }

  /** The ops with a rule, sorted. */
  ops(): string[] {
    return [...this.rules.keys()].sort();
  }
}
