// The built-in expert trainer behind the `train.expert` step.
export { trainExpert, TRAIN_OUTPUTS } from './train.js';
export { trainExpertInWorker } from './worker.js';
export { trainExpertParallel } from './placement.js';
export type { StepProfile, TrainIO, TrainOutcome } from './train.js';
export type { ExpertTrainingConfig } from './config.js';
export { settingsDigest } from './config.js';
export { openEmbeddingCache } from './cache.js';
export type { CacheGroup, CacheItem, EmbeddingCache } from './cache.js';
export { latestCheckpoint } from './checkpoint.js';
export type { CheckpointState, FoundCheckpoint } from './checkpoint.js';
export { BatchOrder } from './order.js';
export { fillGaussian, mixSeed, streamRandom } from './random.js';
