// What is checked when a run or plan starts, before anything runs, that validation cannot check: values
// against files outside the pipeline (a compose node's size against its model folder's VAE). The checks
// load only for a pipeline with a node they look at, so a plain rerun does not pay for them.
import type { Diagnostic } from '../pipeline/diagnostic.js';
import type { Pipeline } from '../pipeline/types.js';

/** The step type the checks look at (src/workflow/compose-size-folder.ts). */
const CHECKED_STEP = 'compose.inference';

/** The errors found; none when the pipeline has no node the checks look at. */
export async function startDiagnostics(pipeline: Pipeline): Promise<readonly Diagnostic[]> {
  let checked = false;
  for (const node of pipeline.nodes.values()) {
    if (node.step === CHECKED_STEP) {
      checked = true;
      break;
    }
  }
  if (!checked) return [];
  const { composeFolderDiagnostics } = await import('../workflow/compose-size-folder.js');
  return composeFolderDiagnostics(pipeline);
}
