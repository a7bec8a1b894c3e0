import { Args, Command } from '@oclif/core';
import { GRAPH_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';

export default class Graph extends Command {
  static override description = 'Print the node graph of a pipeline as Mermaid or Graphviz DOT.';
  static override examples = [
    '<%= config.bin %> graph p.yaml > graph.mmd',
    '<%= config.bin %> graph p.yaml --format dot | dot -Tsvg > graph.svg',
  ];
  static override args = { file: Args.string({ description: 'pipeline file', required: true }) };
  static override flags = oclifFlags(GRAPH_FLAGS);

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Graph);
    const { checkPipeline } = await import('../../app/validate.js');
    const result = await checkPipeline(args.file, flags.param);
    if (result.pipeline === undefined) {
      process.stderr.write(
        result.render(process.stderr.isTTY === true && process.env['NO_COLOR'] === undefined),
      );
      this.exit(2);
    }
    const p = result.pipeline;
    if (flags.json) {
      const nodes = [...p.nodes.values()].map((n) => ({ id: n.id, step: n.step, needs: n.needs }));
      this.log(JSON.stringify({ nodes, order: p.order }, null, 2));
      return;
    }
    const { renderDot, renderMermaid } = await import('../../pipeline/diagram.js');
    process.stdout.write(flags.format === 'dot' ? renderDot(p) : renderMermaid(p));
  }
}
