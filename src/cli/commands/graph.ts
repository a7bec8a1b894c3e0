import { GRAPH_FLAGS } from '../flags.js';
import { oclifFlags } from './oclif-flags.js';
import { ActionCommand, PIPELINE_FILE_ARGS } from '../action-command.js';

export default class Graph extends ActionCommand {
  static override description = 'Print the node graph of a pipeline as Mermaid or Graphviz DOT.';
  static override examples = [
    '<%= config.bin %> graph p.yaml > graph.mmd',
    '<%= config.bin %> graph p.yaml --format dot | dot -Tsvg > graph.svg',
  ];
  static override args = PIPELINE_FILE_ARGS;
  static override flags = oclifFlags(GRAPH_FLAGS);

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Graph);
    await this.act(import('../actions/graph.js'), (a) => a.graphCommand(args.file, flags));
  }
}
