// A StepContext for calling a step's run() directly: a first attempt on one CPU thread and no GPU, with an
// empty environment and the step's log lines captured as "level message". One thread also makes
// onnxruntime's results bit-reproducible, which the train.expert resume test relies on.
import type { StepContext } from '../../src/steps/api.js';

/** What differs between the step tests: the node, its parameters, its folders and what it does with progress. */
export interface ContextFields<W> {
  readonly nodeId: string;
  readonly with: W;
  readonly outDir: string;
  readonly checkpointDir: string;
  readonly sharedCacheDir: string;
  readonly tmpDir: string;
  readonly pipelineDir: string;
  /** @default ignores progress updates */
  readonly progress?: StepContext<W>['progress'];
}

export function stepContext<W>(fields: ContextFields<W>, logs: string[]): StepContext<W> {
  return {
    nodeId: fields.nodeId,
    with: fields.with,
    outDir: fields.outDir,
    checkpointDir: fields.checkpointDir,
    sharedCacheDir: fields.sharedCacheDir,
    tmpDir: fields.tmpDir,
    pipelineDir: fields.pipelineDir,
    attempt: 1,
    signal: new AbortController().signal,
    log: {
      info: (m) => logs.push(`info ${m}`),
      warn: (m) => logs.push(`warn ${m}`),
      error: (m) => logs.push(`error ${m}`),
    },
    progress: fields.progress ?? (() => undefined),
    env: {},
    gpus: [],
    resources: { cpu: 1, memoryBytes: undefined, gpu: 0 },
  };
}
