// The dataset.images step and what downstream steps need to read its manifest.
export { datasetImages, DatasetError } from './images.js';
export { type ManifestItem, type LoadedManifest, readDatasetManifest, timeIds } from './manifest.js';
export { type Bucket, bucketList, nearestBucket, defaultBucketStep } from './buckets.js';
export type { SkipReason, Skipped } from './skip.js';
export type { Split } from './split.js';
