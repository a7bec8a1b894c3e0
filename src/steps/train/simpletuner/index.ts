// The SimpleTuner backend of train.expert: configuration writer, progress parser, checkpoints and runner.
export type { ExpertRole, SimpleTunerSpec } from './spec.js';
export type { ConfigValue, SimpleTunerFiles } from './config.js';
export {
  buildSimpleTunerFiles,
  CONFIG_FILE,
  DATABACKEND_FILE,
  DATASET_VALIDATION_STRENGTH,
  PROMPT_LIBRARY_FILE,
} from './config.js';
export type { SimpleTunerProgress } from './progress.js';
export { parseProgressLine, toProgressUpdate } from './progress.js';
export type { Checkpoint } from './checkpoints.js';
export { dropIncompleteCheckpoints, latestCheckpoint, listCheckpoints } from './checkpoints.js';
export type { SimpleTunerOutcome, SimpleTunerRunOptions } from './runner.js';
export { DEFAULT_COMMAND, runSimpleTuner } from './runner.js';
export type { PreparedData, SharedCaches } from './data.js';
export { prepareImages, sharedCaches } from './data.js';
export {
  pretrainedModel,
  runSimpleTunerBackend,
  SIMPLETUNER_OUTPUTS,
  SimpleTunerBackendError,
  simpleTunerSpec,
} from './backend.js';
