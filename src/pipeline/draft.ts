// A node as the loader collects it, before it becomes a `PipelineNode`.
import type { SourceRange } from './diagnostic.js';
import type { MapNode, ScalarNode, YamlNode } from './node.js';
import type { Interpolated } from './template.js';
import type { WithTemplate } from './types.js';
import type { StepDefinition } from '../contract/step.js';

export interface Draft {
  readonly id: string;
  readonly keyRange: SourceRange;
  readonly stepName: string | undefined;
  readonly step: StepDefinition<never> | undefined;
  readonly withNode: YamlNode | undefined;
  readonly template: WithTemplate;
  readonly strings: { node: ScalarNode; template: Interpolated; path: readonly (string | number)[] }[];
  /** Edges to prerequisites with the place that declares each (a `needs` item or a reference). */
  edges: readonly { to: string; range: SourceRange }[];
  readonly explicitNeeds: { to: string; range: SourceRange }[];
  outputs: readonly string[] | undefined;
  readonly node: MapNode;
}
