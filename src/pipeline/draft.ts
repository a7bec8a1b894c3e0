// A node as the loader collects it, before it becomes a `PipelineNode`.
import type { SourceRange } from './diagnostic.js';
import type { NodeSettings } from './fields.js';
import type { MapNode, ScalarNode, YamlNode } from './node.js';
import type { Interpolated } from './template.js';
import type { WithTemplate } from './types.js';
import type { StepDefinition } from '../contract/step.js';

/** A string of the `with` block that holds expressions, and the keys and indexes that lead to it. */
export interface DraftString {
  /** The YAML scalar it was read from; absent once the node's part of the tree is dropped. */
  readonly node?: ScalarNode;
  readonly template: Interpolated;
  readonly path: readonly (string | number)[];
}

/** A `with` template as `packTemplate` wrote it. */
export interface PackedText {
  readonly packed: string;
}

/** What the checks across nodes and the finished node need of a draft: nothing of the YAML tree. */
export interface DraftCore {
  readonly id: string;
  readonly keyRange: SourceRange;
  readonly stepName: string | undefined;
  readonly step: StepDefinition<never> | undefined;
  /** Packed (`packTemplate`) once the node is checked, when the loader builds it node by node. */
  readonly template: WithTemplate | PackedText;
  readonly strings: readonly DraftString[];
  /** Edges to prerequisites with the place that declares each (a `needs` item or a reference). */
  edges: readonly { to: string; range: SourceRange }[];
  readonly explicitNeeds: readonly { to: string; range: SourceRange }[];
  outputs: readonly string[] | undefined;
  /** The node's resources, retry policy and time limit. */
  readonly settings: NodeSettings;
}

export interface Draft extends DraftCore {
  readonly template: WithTemplate;
  readonly withNode: YamlNode | undefined;
  readonly node: MapNode;
}
