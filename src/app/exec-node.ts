// `moe exec-node SPEC` wired to this moe's step catalogue: the Slurm job runs the node with the same
// step types (built-in and the pipeline's plugins) as the `moe run` that submitted it.
import { execNode as execNodeWith } from '../engine/executors/slurm/exec-node.js';
import { stepRegistry } from './steps.js';

/** Runs the node described by `specFile`; resolves to the process exit code. */
export function execNode(specFile: string): Promise<number> {
  return execNodeWith(specFile, stepRegistry);
}
