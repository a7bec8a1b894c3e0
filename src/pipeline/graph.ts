// The node graph as plain data: dangling edges, cycles, and a stable topological order.

export interface GraphInput {
  /** Node ids in file order. */
  readonly ids: readonly string[];
  /** Each node's prerequisites (ids that may be unknown; those are reported elsewhere and ignored here). */
  readonly needs: ReadonlyMap<string, readonly string[]>;
}

export interface GraphResult {
  /** Every node once; among nodes ready at the same time, file order. Nodes on cycles are left out. */
  readonly order: readonly string[];
  /** Each cycle once, starting at its earliest node in file order, e.g. [a, b, c] for a → b → c → a. */
  readonly cycles: readonly (readonly string[])[];
}

export function analyzeGraph(input: GraphInput): GraphResult {
  const index = new Map(input.ids.map((id, i) => [id, i]));
  const dependents = new Map<string, string[]>(input.ids.map((id) => [id, []]));
  const waiting = new Map<string, number>();
  for (const id of input.ids) {
    const needs = [...new Set(input.needs.get(id) ?? [])].filter((n) => index.has(n));
    waiting.set(id, needs.length);
    for (const n of needs) dependents.get(n)!.push(id);
  }
  // Kahn's algorithm with a binary heap keyed by file position: O((V + E) log V) and deterministic.
  const ready = new MinHeap();
  for (const id of input.ids) if (waiting.get(id) === 0) ready.push(index.get(id)!);
  const order: string[] = [];
  while (ready.size > 0) {
    const id = input.ids[ready.pop()]!;
    order.push(id);
    for (const d of dependents.get(id)!) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) ready.push(index.get(d)!);
    }
  }
  const cycles = order.length === input.ids.length ? [] : findCycles(input, index, new Set(order));
  return { order, cycles };
}

/**
 * Cycles among the nodes Kahn's algorithm could not order: one per strongly connected component with
 * more than one node (found with an iterative Tarjan, so deep graphs cannot overflow the stack), shown
 * as a shortest cycle through the component's earliest node.
 */
function findCycles(
  input: GraphInput,
  index: ReadonlyMap<string, number>,
  ordered: ReadonlySet<string>,
): string[][] {
  const stuck = input.ids.filter((id) => !ordered.has(id));
  const stuckSet = new Set(stuck);
  const edgeCache = new Map<string, string[]>();
  const edges = (id: string): string[] => {
    let e = edgeCache.get(id);
    if (e === undefined) {
      e = [...new Set(input.needs.get(id) ?? [])]
        .filter((n) => stuckSet.has(n))
        .sort((a, b) => index.get(a)! - index.get(b)!);
      edgeCache.set(id, e);
    }
    return e;
  };
  const cycles: string[][] = [];
  for (const component of components(stuck, edges)) {
    if (component.length < 2) continue;
    const members = new Set(component);
    const first = component.reduce((best, id) => (index.get(id)! < index.get(best)! ? id : best));
    const cycle = cycleThrough(first, (id) => edges(id).filter((n) => members.has(n)));
    // Written in the direction data flows: a needs b means b → a.
    if (cycle !== undefined) cycles.push([cycle[0]!, ...cycle.slice(1).reverse()]);
  }
  return cycles.sort((a, b) => index.get(a[0]!)! - index.get(b[0]!)!);
}

/** A shortest cycle through `start` (breadth-first over `needs` edges), starting with `start`. */
function cycleThrough(start: string, edges: (id: string) => string[]): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q]!;
    for (const n of edges(id)) {
      if (n === start) {
        const path = [id];
        while (path[path.length - 1] !== start) path.push(parent.get(path[path.length - 1]!)!);
        return path.reverse();
      }
      if (!parent.has(n)) {
        parent.set(n, id);
        queue.push(n);
      }
    }
  }
  return undefined;
}

/** Strongly connected components (Tarjan's algorithm with an explicit stack). */
function components(ids: readonly string[], edges: (id: string) => string[]): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (order.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    order.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const out = edges(frame.id);
      if (frame.next < out.length) {
        const n = out[frame.next++]!;
        if (!order.has(n)) {
          order.set(n, counter);
          low.set(n, counter++);
          stack.push(n);
          onStack.add(n);
          work.push({ id: n, next: 0 });
        } else if (onStack.has(n)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, order.get(n)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === order.get(frame.id)) {
        const component: string[] = [];
        for (;;) {
          const m = stack.pop()!;
          onStack.delete(m);
          component.push(m);
          if (m === frame.id) break;
        }
        result.push(component);
      }
    }
  }
  return result;
}

class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(v: number): void {
    const a = this.items;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
