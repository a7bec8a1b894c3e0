// The node graph as plain data: cycles and a stable topological order. Works on integer indexes (file
// order) internally, so a 10,000-node pipeline takes milliseconds.

export interface GraphInput {
  /** Node ids in file order. */
  readonly ids: readonly string[];
  /** Each node's prerequisites (unknown ids are reported elsewhere and ignored here). */
  readonly needs: ReadonlyMap<string, readonly string[]>;
}

export interface GraphResult {
  /** Every node not on or behind a cycle; among nodes ready at the same time, file order. */
  readonly order: readonly string[];
  /** Each cycle once, starting at its earliest node in file order, e.g. [a, b, c] for a → b → c → a. */
  readonly cycles: readonly (readonly string[])[];
}

export function analyzeGraph(input: GraphInput): GraphResult {
  const n = input.ids.length;
  const index = new Map(input.ids.map((id, i) => [id, i]));
  // needs[i]: prerequisites of i (sorted, unique); dependents[i]: nodes that need i.
  const needs: number[][] = input.ids.map((id) => {
    const list = (input.needs.get(id) ?? []).map((x) => index.get(x) ?? -1).filter((x) => x >= 0);
    return [...new Set(list)].sort((a, b) => a - b);
  });
  const dependents: number[][] = input.ids.map(() => []);
  const waiting = new Int32Array(n);
  needs.forEach((list, i) => {
    waiting[i] = list.length;
    for (const p of list) dependents[p]?.push(i);
  });
  // Kahn's algorithm with a binary heap keyed by file position: O((V + E) log V) and deterministic.
  const ready = new MinHeap();
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  const order: string[] = [];
  const placed = new Uint8Array(n);
  while (ready.size > 0) {
    const i = ready.pop();
    placed[i] = 1;
    order.push(input.ids[i] ?? '');
    for (const d of dependents[i] ?? []) {
      waiting[d] = (waiting[d] ?? 0) - 1;
      if (waiting[d] === 0) ready.push(d);
    }
  }
  if (order.length === n) return { order, cycles: [] };
  const stuck = (i: number): boolean => placed[i] === 0;
  const cycles = findCycles(needs, stuck).map((c) => c.map((i) => input.ids[i] ?? ''));
  return { order, cycles };
}

/**
 * One cycle per strongly connected component of more than one node among the unordered nodes (found
 * with an iterative Tarjan, so deep graphs cannot overflow the stack), shown as a shortest cycle through
 * the component's earliest node, in the direction data flows.
 */
function findCycles(needs: readonly (readonly number[])[], stuck: (i: number) => boolean): number[][] {
  const edges = (i: number): readonly number[] => (needs[i] ?? []).filter(stuck);
  const cycles: number[][] = [];
  for (const component of components(needs.length, stuck, edges)) {
    if (component.length < 2) continue;
    const members = new Set(component);
    const first = Math.min(...component);
    const path = shortestCycle(first, (i) => edges(i).filter((x) => members.has(x)));
    // `path` follows `needs` (a needs b); data flows the other way.
    if (path.length > 0) cycles.push([first, ...path.slice(1).reverse()]);
  }
  return cycles.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
}

/** A shortest cycle through `start` by breadth-first search, as [start, …]; empty when none. */
function shortestCycle(start: number, edges: (i: number) => readonly number[]): number[] {
  const parent = new Map<number, number>();
  const queue = [start];
  for (const at of queue) {
    for (const next of edges(at)) {
      if (next === start) {
        const path = [at];
        for (let p = at; p !== start;) {
          p = parent.get(p) ?? start;
          path.push(p);
        }
        return path.reverse();
      }
      if (!parent.has(next)) {
        parent.set(next, at);
        queue.push(next);
      }
    }
  }
  return [];
}

/** Strongly connected components (Tarjan's algorithm with an explicit stack). */
function components(
  n: number,
  include: (i: number) => boolean,
  edges: (i: number) => readonly number[],
): number[][] {
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const result: number[][] = [];
  let counter = 0;
  const visit = (i: number): void => {
    order[i] = low[i] = counter++;
    stack.push(i);
    onStack[i] = 1;
  };
  for (let root = 0; root < n; root++) {
    if (!include(root) || (order[root] ?? -1) >= 0) continue;
    visit(root);
    const work: { id: number; out: readonly number[]; next: number }[] = [
      { id: root, out: edges(root), next: 0 },
    ];
    for (let frame = work.at(-1); frame !== undefined; frame = work.at(-1)) {
      const next = frame.out[frame.next++];
      if (next !== undefined) {
        if ((order[next] ?? -1) < 0) {
          visit(next);
          work.push({ id: next, out: edges(next), next: 0 });
        } else if (onStack[next] === 1) {
          low[frame.id] = Math.min(low[frame.id] ?? 0, order[next] ?? 0);
        }
        continue;
      }
      work.pop();
      const up = work.at(-1);
      if (up !== undefined) low[up.id] = Math.min(low[up.id] ?? 0, low[frame.id] ?? 0);
      if (low[frame.id] === order[frame.id]) {
        const component: number[] = [];
        for (let m = stack.pop(); m !== undefined; m = stack.pop()) {
          onStack[m] = 0;
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
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pv = a[p] ?? 0;
      if (pv <= v) break;
      a[i] = pv;
      i = p;
    }
    a[i] = v;
  }

  /** Only called when `size > 0`. */
  pop(): number {
    const a = this.items;
    const top = a[0] ?? 0;
    const last = a.pop() ?? 0;
    if (a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const r = l + 1;
      const c = r < a.length && (a[r] ?? 0) < (a[l] ?? 0) ? r : l;
      const cv = a[c] ?? 0;
      if (cv >= last) break;
      a[i] = cv;
      i = c;
    }
    a[i] = last;
    return top;
  }
}
