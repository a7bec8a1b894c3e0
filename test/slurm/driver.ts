// Runs a pipeline through the Slurm executor in a process of its own, the way the cluster tests need moe to
// be killed, interrupted and restarted: each event as a JSON line, a summary line last, exit 0 when the run
// succeeded. Ctrl-C (SIGINT) aborts the run. Usage: node --import tsx driver.ts FILE [JOBS]
import { openPipeline } from '../../src/app/open.js';
import { runPipeline } from '../../src/engine/run.js';
import { workspaceAt } from '../../src/engine/workspace.js';
import { resolveWith } from '../../src/pipeline/resolve.js';
import { createSlurmExecutor } from '../../src/engine/executors/slurm/index.js';

const file = process.argv[2] ?? '';
const jobs = process.argv[3] === undefined ? {} : { jobs: Number(process.argv[3]) };
const opened = await openPipeline(file);
if (!opened.ok) {
  console.log(JSON.stringify(opened.error.diagnostics));
  process.exit(2);
}
const ws = workspaceAt(file.replace(/[^/]*$/, '.moe'));
const executor = createSlurmExecutor(opened.value.pipeline, ws.root);
if (!executor.ok) {
  console.log(executor.error);
  process.exit(2);
}
const controller = new AbortController();
process.on('SIGINT', () => controller.abort(new Error('interrupted')));
const r = await runPipeline({
  pipeline: opened.value.pipeline,
  steps: opened.value.registry,
  resolve: resolveWith,
  workspace: ws,
  executor: executor.value,
  gpus: [],
  signal: controller.signal,
  ...jobs,
  onEvent: (e) => console.log(JSON.stringify(e)),
});
console.log(JSON.stringify({ type: 'summary', ok: r.ok, status: r.ok ? r.value.status : r.error }));
process.exit(r.ok && r.value.status === 'succeeded' ? 0 : 1);
