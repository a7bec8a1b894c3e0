import { PIPELINE_COMMANDS } from '../flags.js';
import { pipelineCommand } from '../action-command.js';

export default class Graph extends pipelineCommand(PIPELINE_COMMANDS.graph, {
  description: 'Print the node graph of a pipeline as Mermaid or Graphviz DOT.',
  examples: [
    '<%= config.bin %> graph p.yaml > graph.mmd',
    '<%= config.bin %> graph p.yaml --format dot | dot -Tsvg > graph.svg',
  ],
}) {
  async run(): Promise<void> {
    const { args, flags } = await this.parse(Graph);
    await this.act(import('../actions/graph.js'), (a) => a.graphCommand(args.file, flags));
  }
}
