// The benchmark's workload: a layered DAG where every node concatenates its parents' output files, written
// as a moe pipeline, as a Makefile that does the same work, and as the node list of the minimal Node
// runner the memory figures compare against (bench/engine/peer-runner.js).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DagShape {
  readonly layers: number;
  readonly width: number;
  readonly parents: number;
}

/** Parent j of node i in the next layer: spread deterministically over the previous layer. */
export function parentsOf(i: number, shape: DagShape): number[] {
  const out = new Set<number>();
  for (let j = 0; out.size < Math.min(shape.parents, shape.width); j++)
    out.add((i * 7 + j * 31) % shape.width);
  return [...out].sort((a, b) => a - b);
}

const id = (layer: number, i: number): string => `n${layer}_${i}`;

export interface WrittenDag {
  readonly pipeline: string;
  readonly makefile: string;
  /** `[id, shell command, parent indices]` per node, in the pipeline's order (peer-runner.js reads it). */
  readonly nodeList: string;
}

export function writeDag(dir: string, shape: DagShape): WrittenDag {
  mkdirSync(dir, { recursive: true });
  const yaml: string[] = ['version: 1', `name: dag-${shape.layers}x${shape.width}`, 'nodes:'];
  const make: string[] = [];
  const all: string[] = [];
  const list: [string, string, number[]][] = [];
  for (let layer = 0; layer < shape.layers; layer++) {
    for (let i = 0; i < shape.width; i++) {
      const name = id(layer, i);
      yaml.push(`  ${name}:`, '    step: command', '    with:');
      const target = `out/${name}.txt`;
      all.push(target);
      if (layer === 0) {
        yaml.push(`      run: echo ${name} > "$MOE_OUT/out.txt"`);
        make.push(`${target}:`, `\t@mkdir -p out && echo ${name} > $@`);
        list.push([name, `echo ${name} > "$MOE_OUT/out.txt"`, []]);
      } else {
        const parents = parentsOf(i, shape).map((p) => id(layer - 1, p));
        yaml.push(
          `      run: cat ${parents.map((p) => `\${{ nodes.${p}.outputs.out }}`).join(' ')} > "$MOE_OUT/out.txt"`,
        );
        make.push(`${target}: ${parents.map((p) => `out/${p}.txt`).join(' ')}`, '\t@cat $^ > $@');
        const files = parents.map((p) => `peer/${p}/out.txt`).join(' ');
        const at = parentsOf(i, shape).map((p) => (layer - 1) * shape.width + p);
        list.push([name, `cat ${files} > "$MOE_OUT/out.txt"`, at]);
      }
      yaml.push('      outputs: { out: out.txt }');
    }
  }
  const pipeline = join(dir, 'dag.yaml');
  const makefile = join(dir, 'Makefile');
  const nodeList = join(dir, 'nodes.json');
  writeFileSync(pipeline, `${yaml.join('\n')}\n`);
  writeFileSync(makefile, `all: ${all.join(' ')}\n\n${make.join('\n')}\n`);
  writeFileSync(nodeList, JSON.stringify(list));
  return { pipeline, makefile, nodeList };
}
