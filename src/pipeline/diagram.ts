// A pipeline's node graph as a diagram, for `moe graph`: Mermaid or Graphviz DOT.
import type { Pipeline } from './types.js';

export type GraphFormat = 'mermaid' | 'dot';

/** A Mermaid flowchart: one box per node (id and step type), an arrow per dependency, in plan order. */
export function renderMermaid(pipeline: Pipeline): string {
  const ids = [...pipeline.nodes.keys()];
  const key = new Map(ids.map((id, i) => [id, `n${i}`]));
  const label = (s: string): string => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  const lines = ['flowchart TD'];
  for (const node of pipeline.nodes.values()) {
    lines.push(`  ${key.get(node.id) ?? ''}["${label(node.id)}<br/><small>${label(node.step)}</small>"]`);
  }
  for (const node of pipeline.nodes.values()) {
    for (const need of node.needs) lines.push(`  ${key.get(need) ?? ''} --> ${key.get(node.id) ?? ''}`);
  }
  return lines.join('\n') + '\n';
}

/** Graphviz DOT: the same graph, for `dot -Tsvg`. */
export function renderDot(pipeline: Pipeline): string {
  const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines = [`digraph ${q(pipeline.name)} {`, '  rankdir=LR;', '  node [shape=box];'];
  for (const node of pipeline.nodes.values())
    lines.push(`  ${q(node.id)} [label=${q(`${node.id}\n${node.step}`)}];`);
  for (const node of pipeline.nodes.values()) {
    for (const need of node.needs) lines.push(`  ${q(need)} -> ${q(node.id)};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
