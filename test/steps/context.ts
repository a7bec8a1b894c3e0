// A StepContext for calling a step's run() directly: a first attempt on one CPU thread and no GPU, with an
// empty environment and the step's log lines captured as "level message". One thread also makes
// onnxruntime's results bit-reproducible, which the train.expert resume test relies on.
import type { StepContext, StepLogger } from '../../src/contract/step.js';

/** What differs between the step tests: the node, its parameters, its folders and what it does with progress. */
export type ContextFields<W> = Pick<
  StepContext<W>,
  'nodeId' | 'with' | 'outDir' | 'checkpointDir' | 'sharedCacheDir' | 'tmpDir' | 'pipelineDir'
> & {
  /** @default ignores progress updates */
  readonly progress?: StepContext<W>['progress'];
};

/** A logger that appends each line to `logs` as "level message". */
export function capturingLog(logs: string[]): StepLogger {
  return {
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  };
}

export function stepContext<W>(fields: ContextFields<W>, logs: string[]): StepContext<W> {
  const { progress, ...node } = fields;
  return {
    ...node,
    attempt: 1,
    signal: new AbortController().signal,
    log: capturingLog(logs),
    progress: progress ?? (() => undefined),
    env: {},
    gpus: [],
    resources: { cpu: 1, memoryBytes: undefined, gpu: 0 },
  };
}
