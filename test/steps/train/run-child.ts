// Runs train.expert in a child process, so a test can kill it with SIGKILL mid-training.
// Usage: node --import tsx run-child.ts '<json: { root, with, out, checkpoint }>'
import { trainExpertStep } from '../../../src/steps/train/index.js';
import type { TrainExpertWith } from '../../../src/steps/train/index.js';
import { makeContext } from './helpers.js';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  root: string;
  with: TrainExpertWith;
  out: string;
  checkpoint: string;
};
const { ctx } = await makeContext(args.root, args.with, { out: args.out, checkpoint: args.checkpoint });
await trainExpertStep.run(ctx);
