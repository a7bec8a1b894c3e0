// The engine test rig: a temp pipeline directory and workspace, pipelines built as plain objects, a
// small `${{ }}` resolver (refs only), and a `probe` step whose runs the test controls and counts.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Expr, JsonValue, Pipeline, PipelineNode, WithTemplate } from '../../src/pipeline/types.js';
import type { SourceRange } from '../../src/pipeline/diagnostic.js';
import type { StepContext, StepDefinition, StepResult } from '../../src/contract/step.js';
import { StepRegistry } from '../../src/steps/registry.js';
import { commandStep } from '../../src/steps/command/index.js';
import type { ResolveFn } from '../../src/engine/evaluate.js';
import type { RunEvent } from '../../src/engine/events.js';
import type { RunOptions, RunSummary } from '../../src/engine/run.js';
import { runPipeline } from '../../src/engine/run.js';
import { workspaceAt } from '../../src/engine/workspace.js';
import type { Workspace } from '../../src/engine/workspace.js';
import { nodeId } from '../../src/util/brand.js';
import type { NodeId } from '../../src/util/brand.js';

const RANGE: SourceRange = {
  file: 'test.yaml',
  start: { line: 1, column: 1, offset: 0 },
  end: { line: 1, column: 1, offset: 0 },
};

/** `"cat ${{ nodes.a.outputs.x }}"` → an interpolated template with ref expressions. */
export function template(value: JsonValue): WithTemplate {
  if (typeof value === 'string' && value.includes('${{')) {
    const parts: (string | Expr)[] = [];
    const re = /\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
    let last = 0;
    for (const m of value.matchAll(re)) {
      if (m.index > last) parts.push(value.slice(last, m.index));
      parts.push({ kind: 'ref', path: m[1]!.split('.'), range: RANGE });
      last = m.index + m[0].length;
    }
    if (last < value.length) parts.push(value.slice(last));
    return { kind: 'interpolated', parts, range: RANGE };
  }
  if (Array.isArray(value))
    return { kind: 'list', items: value.map((v: JsonValue) => template(v)), range: RANGE };
  if (typeof value === 'object' && value !== null) {
    return {
      kind: 'map',
      entries: Object.entries(value).map(([k, v]) => [k, template(v)] as const),
      range: RANGE,
    };
  }
  return { kind: 'literal', value, range: RANGE };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Evaluates refs only: params.X, env.X, nodes.A.outputs.B. */
export const resolveRefs: ResolveFn = (t, ctx, opts) => {
  const envRead = new Set<string>();
  const ref = (e: Expr): JsonValue => {
    if (e.kind !== 'ref') throw new Error('the rig resolves refs only');
    const [head, a, b, c] = e.path;
    if (head === 'params') return ctx.params.get(a!) ?? null;
    if (head === 'env') {
      envRead.add(a!);
      return ctx.env(a!) ?? '';
    }
    if (head === 'nodes' && b === 'outputs') return ctx.output(nodeId(a!), c!);
    throw new Error(`bad ref ${e.path.join('.')}`);
  };
  const walk = (x: WithTemplate, shell: boolean): JsonValue => {
    switch (x.kind) {
      case 'literal':
        return x.value;
      case 'list':
        return x.items.map((i) => walk(i, shell));
      case 'map':
        return Object.fromEntries(
          x.entries.map(([k, v]) => [k, walk(v, shell || (x === t && opts.shellFields.has(k)))]),
        );
      case 'interpolated': {
        if (x.parts.length === 1 && typeof x.parts[0] !== 'string') return ref(x.parts[0]!);
        return x.parts
          .map((p) => (typeof p === 'string' ? p : shell ? shellQuote(String(ref(p))) : String(ref(p))))
          .join('');
      }
    }
  };
  const value = walk(t, false);
  return { ok: true, value: { value, envRead: [...envRead].sort() } };
};

export interface NodeSpec {
  readonly step?: string;
  readonly with: JsonValue;
  readonly needs?: readonly string[];
  readonly gpu?: number;
  readonly cpu?: number;
  readonly retry?: { readonly limit: number; readonly backoffMs: number };
  readonly timeoutMs?: number;
}

export function pipelineOf(
  dir: string,
  nodes: Record<string, NodeSpec>,
  params: Record<string, string | number | boolean> = {},
): Pipeline {
  const map = new Map<NodeId, PipelineNode>();
  for (const [id, spec] of Object.entries(nodes)) {
    const implied = [...JSON.stringify(spec.with).matchAll(/nodes\.([A-Za-z0-9_-]+)\.outputs/g)].map(
      (m) => m[1]!,
    );
    const needs = [...new Set([...(spec.needs ?? []), ...implied])].sort().map(nodeId);
    map.set(nodeId(id), {
      id: nodeId(id),
      step: spec.step ?? 'probe',
      range: RANGE,
      needs,
      with: template(spec.with),
      resources: { cpu: spec.cpu ?? 1, memoryBytes: undefined, gpu: spec.gpu ?? 0 },
      retry: spec.retry ?? { limit: 0, backoffMs: 0 },
      timeoutMs: spec.timeoutMs,
    });
  }
  return {
    file: join(dir, 'test.yaml'),
    dir,
    name: 'test',
    params: new Map(Object.entries(params)),
    nodes: map,
    order: topo(map),
    plugins: [],
    executor: undefined,
  };
}

function topo(nodes: ReadonlyMap<NodeId, PipelineNode>): NodeId[] {
  const out: NodeId[] = [];
  const seen = new Set<NodeId>();
  const visit = (id: NodeId): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const n of nodes.get(id)?.needs ?? []) visit(n);
    out.push(id);
  };
  for (const id of nodes.keys()) visit(id);
  return out;
}

export type Behaviour = (ctx: StepContext) => Promise<void> | void;

/**
 * A temp directory with a pipeline dir and a workspace, the probe step, and counters. The probe writes
 * `with.content` (or the upstream files it is given in `with.from`, concatenated) to `out.txt`.
 */
export class Rig {
  readonly dir: string;
  readonly ws: Workspace;
  readonly runs = new Map<string, number>();
  readonly behaviours = new Map<string, Behaviour>();
  /** What a probe node's step returns (its summary and metrics). */
  readonly results = new Map<string, StepResult>();
  readonly registry = new StepRegistry();
  events: RunEvent[] = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'moe-engine-'));
    this.ws = workspaceAt(join(this.dir, '.moe'));
    const probe: StepDefinition = {
      name: 'probe',
      version: '1',
      description: 'test step',
      withSchema: { type: 'object' },
      outputs: () => ({ out: 'out.txt' }),
      inputs: (w) => {
        const inputs = (w as { inputs?: string[] }).inputs;
        return inputs ?? [];
      },
      run: async (ctx) => {
        this.runs.set(ctx.nodeId, (this.runs.get(ctx.nodeId) ?? 0) + 1);
        await this.behaviours.get(ctx.nodeId)?.(ctx);
        const w = ctx.with as { content?: string; from?: string[] };
        const text = w.from ? w.from.map((f) => readFileSync(f, 'utf8')).join('') : String(w.content ?? '');
        writeFileSync(join(ctx.outDir, 'out.txt'), text);
        return this.results.get(ctx.nodeId);
      },
    };
    this.registry.register(probe as unknown as StepDefinition<never>, { origin: 'rig' });
    this.registry.register(commandStep as unknown as StepDefinition<never>, { origin: 'built-in' });
  }

  write(rel: string, text: string): string {
    const abs = join(this.dir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    return abs;
  }

  count(node: string): number {
    return this.runs.get(node) ?? 0;
  }

  async run(pipeline: Pipeline, extra: Partial<RunOptions> = {}): Promise<RunSummary> {
    this.events = [];
    const result = await runPipeline({
      pipeline,
      steps: this.registry,
      resolve: resolveRefs,
      workspace: this.ws,
      env: { PATH: process.env['PATH'] },
      jobs: 4,
      gpus: [],
      onEvent: (e) => this.events.push(e),
      ...extra,
    });
    if (!result.ok) throw new Error(`run refused: ${JSON.stringify(result.error)}`);
    return result.value;
  }

  /** The node ids that emitted an event of this type in the last run, sorted. */
  nodesWith(type: RunEvent['type']): string[] {
    return this.events
      .filter((e) => e.type === type)
      .map((e) => ('node' in e ? String(e.node) : ''))
      .sort();
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
