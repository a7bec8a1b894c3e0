// The files one step writes for another, each typed once and imported by its writer and its readers:
// compose.inference's index.json, evaluate's results.json, train.expert's training.json (beside the
// trainer that writes it) and dataset.images' manifest.jsonl (beside its writer and reader).
export type { ComposedImage, ComposeIndex } from './compose-index.js';
export type * from './evaluation.js';
export { isSkipped } from './evaluation.js';
export type { TrainingRecord } from '../../train/expert/record.js';
export type { ManifestItem } from '../dataset/manifest.js';
