/**
 * The measurement the activation estimate (memory.ts) is checked against: the trainer's graph for a
 * UNet config, with zero weights and zero data, run in onnxruntime with the trainer's session options on
 * one thread, and the process's resident memory read before the session, after creating it, and after
 * each of two runs. onnxruntime's CPU arena keeps what a run allocated, so the first run's growth is the
 * activations (plus the outputs handed back); the second run's is near zero. For small graphs only: it
 * allocates the weights.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { buildUNet } from '../../models/unet/index.js';
import type { UNetSpec } from '../../models/unet/index.js';
import { encodeModel } from '../../onnx/serialize.js';
import { DEFAULT_IR_VERSION, DEFAULT_OPSET } from '../../onnx/ir.js';
import type { Model } from '../../onnx/ir.js';
import { buildTrainingModel } from '../optim/index.js';
import { LOSS, withWeightedMse } from './loss.js';
import { fixedSizes } from './memory.js';
import type { TrainingShape } from './memory.js';

/**
 * The trainer's session options (src/train/optim/trainer.ts) on one thread, with onnxruntime's CPU arena
 * on where the trainer turns it off: the arena keeps what a run allocated, so the run's growth shows.
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  enableMemPattern: false,
  logSeverityLevel: 3,
};

export interface MeasuredRun {
  /** Resident bytes added by creating the session. */
  readonly sessionBytes: number;
  /** Resident bytes added by the first run (activations, the runtime's scratch, the outputs). */
  readonly firstRunBytes: number;
  /** The peak resident bytes during the first run over those before it (Linux only). */
  readonly firstRunPeakBytes?: number;
  /** Resident bytes added by a second run with the same feeds. */
  readonly secondRunBytes: number;
  /** Bytes of the outputs onnxruntime-node handed back from one run (loss and gradients). */
  readonly outputBytes: number;
}

const rss = (): number => process.memoryUsage.rss();

/**
 * Linux only: resets the process's peak resident size (VmHWM) to the current one; false where it cannot.
 */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** The process's peak resident bytes since the last reset (VmHWM), or undefined where /proc has none. */
function peakRss(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Loads onnxruntime's code and creates its environment with a one-node model, outside the measurement. */
async function warmUp(): Promise<void> {
  const model: Model = {
    opset: DEFAULT_OPSET,
    irVersion: DEFAULT_IR_VERSION,
    producerName: 'moe',
    producerVersion: '0',
    graph: {
      name: 'warm_up',
      nodes: [{ op: 'Relu', name: 'relu', inputs: ['x'], outputs: ['y'], attributes: {} }],
      inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
      initializers: [],
      valueInfo: [],
      weights: [],
    },
  };
  const s = await ort.InferenceSession.create(encodeModel(model), SESSION_OPTIONS);
  await s.run({ x: new ort.Tensor('float32', new Float32Array(4), [4]) });
  await s.release();
}

export async function measureTrainingRun(spec: UNetSpec, shape: TrainingShape): Promise<MeasuredRun> {
  const unet = buildUNet(spec, {
    ...fixedSizes(shape),
    weights: (_name, dims) => ({
      dtype: 'float32',
      dims,
      data: { kind: 'inline', array: new Float32Array(dims.reduce((a, d) => a * d, 1)) },
    }),
  });
  const built = buildTrainingModel(withWeightedMse(unet), LOSS);
  if (!built.ok) throw new Error(built.error.message);
  const graph = built.value.model.graph;
  const feeds: Record<string, ort.Tensor> = {};
  for (const v of graph.inputs) {
    const dims = (v.shape ?? []).map((d) => {
      if (typeof d !== 'number') throw new Error(`input ${v.name} has a symbolic size`);
      return d;
    });
    feeds[v.name] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, d) => a * d, 1)), dims);
  }
  const bytes = encodeModel(built.value.model);
  await warmUp();
  const before = rss();
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  try {
    const created = rss();
    const canPeak = resetPeak();
    const first = await session.run(feeds);
    const afterFirst = rss();
    const peak = canPeak ? peakRss() : undefined;
    const outputBytes = Object.values(first).reduce((s, t) => s + t.size * 4, 0);
    await session.run(feeds);
    const afterSecond = rss();
    return {
      sessionBytes: created - before,
      firstRunBytes: afterFirst - created,
      ...(peak !== undefined ? { firstRunPeakBytes: peak - created } : {}),
      secondRunBytes: afterSecond - afterFirst,
      outputBytes,
    };
  } finally {
    await session.release();
  }
}
