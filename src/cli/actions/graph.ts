// `moe graph`: the node graph of a valid pipeline as Mermaid, Graphviz DOT or JSON; the diagnostics on stderr
// and exit code 2 when the pipeline is invalid.
import { checkPipeline } from '../../app/validate.js';
import { CliFailure, EXIT } from '../failure.js';

export interface GraphFlags {
  readonly param: readonly string[];
  readonly json: boolean;
  readonly format: string;
}

export async function graphCommand(file: string, flags: GraphFlags): Promise<void> {
  const result = await checkPipeline(file, flags.param);
  if (result.pipeline === undefined) {
    process.stderr.write(
      result.render(process.stderr.isTTY === true && process.env['NO_COLOR'] === undefined),
    );
    throw new CliFailure('', EXIT.invalid);
  }
  const p = result.pipeline;
  if (flags.json) {
    const nodes = [...p.nodes.values()].map((n) => ({ id: n.id, step: n.step, needs: n.needs }));
    process.stdout.write(`${JSON.stringify({ nodes, order: p.order }, null, 2)}\n`);
    return;
  }
  const { renderDot, renderMermaid } = await import('../../pipeline/diagram.js');
  process.stdout.write(flags.format === 'dot' ? renderDot(p) : renderMermaid(p));
}
