// The explicit command table oclif loads (package.json "oclif.commands"). One entry per command; each
// command module is thin and imports its service lazily so that start-up stays fast.
import Compare from './commands/compare.js';
import ExecNode from './commands/exec-node.js';
import ExportSimpleTuner from './commands/export/simpletuner.js';
import Gc from './commands/gc.js';
import Graph from './commands/graph.js';
import ImportMusubiTuner from './commands/import/musubi-tuner.js';
import ImportSimpleTuner from './commands/import/simpletuner.js';
import ModelsTiny from './commands/models/tiny.js';
import ModelsUnet from './commands/models/unet.js';
import Plan from './commands/plan.js';
import Run from './commands/run.js';
import Schedule from './commands/schedule.js';
import Schema from './commands/schema.js';
import Status from './commands/status.js';
import Steps from './commands/steps.js';
import Validate from './commands/validate.js';
import Version from './commands/version.js';

export const COMMANDS = {
  compare: Compare,
  'exec-node': ExecNode,
  'export:simpletuner': ExportSimpleTuner,
  gc: Gc,
  graph: Graph,
  'import:musubi-tuner': ImportMusubiTuner,
  'import:simpletuner': ImportSimpleTuner,
  'models:tiny': ModelsTiny,
  'models:unet': ModelsUnet,
  plan: Plan,
  run: Run,
  schedule: Schedule,
  schema: Schema,
  status: Status,
  steps: Steps,
  validate: Validate,
  version: Version,
};
