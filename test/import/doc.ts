// An imported pipeline as the import tests read it back (parsed YAML), and a node's effective `with`.
import { parse } from 'yaml';

export interface Doc {
  params: Record<string, unknown>;
  defaults?: Record<string, { with?: Record<string, unknown> }>;
  nodes: Record<string, { step: string; with: Record<string, unknown> }>;
}

/** The imported pipeline's YAML, parsed. */
export const parseDoc = (yaml: string): Doc => parse(yaml) as Doc;

/** A node's `with` after `defaults:` (the node's own values win). */
export function expertWith(doc: Doc, id: string): Record<string, unknown> {
  return { ...(doc.defaults?.['train.expert']?.with ?? {}), ...(doc.nodes[id]?.with ?? {}) };
}
