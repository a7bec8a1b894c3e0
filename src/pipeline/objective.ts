// `objective:` — the metric of one node that ranks a sweep's variants (`moe compare`), and its goal.
import type { Diagnostic } from './diagnostic.js';
import { entry } from './node.js';
import type { YamlNode } from './node.js';
import { didYouMean } from './suggest.js';
import type { Objective } from './types.js';
import { nodeId } from '../util/brand.js';

/** The objective, when it names a node of the pipeline (shapes were checked by the schema). */
export function readObjective(
  node: YamlNode | undefined,
  ids: readonly string[],
  diagnostics: Diagnostic[],
): Objective | undefined {
  if (node?.kind !== 'map') return undefined;
  const at = entry(node, 'node')?.value;
  const metric = entry(node, 'metric')?.value;
  const goal = entry(node, 'goal')?.value;
  if (at?.kind !== 'scalar' || typeof at.value !== 'string') return undefined;
  if (metric?.kind !== 'scalar' || typeof metric.value !== 'string') return undefined;
  if (!ids.includes(at.value)) {
    const guess = didYouMean(at.value, ids);
    diagnostics.push({
      severity: 'error',
      code: 'unknown-node',
      message: `objective: \`${at.value}\` is not a node of this pipeline`,
      range: at.range,
      ...(guess !== undefined ? { suggestion: guess } : {}),
    });
    return undefined;
  }
  return {
    node: nodeId(at.value),
    metric: metric.value,
    goal: goal?.kind === 'scalar' && goal.value === 'max' ? 'max' : 'min',
  };
}
