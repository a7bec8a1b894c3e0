import type { TensorMetadata } from './session.js';

/**
 * The tensor contract of each ONNX component of an SDXL/SSD-1B Optimum export. Names are fixed across
 * Optimum versions; dtypes and dynamic dimensions are not, so the contract lists what is allowed and the
 * checks read the rest from the session's metadata.
 */
export interface TensorRule {
  readonly name: string;
  readonly types: readonly string[];
  readonly rank: number;
  /** Dimensions that must hold this value when the model fixes them (symbolic ones pass). */
  readonly fixed?: Readonly<Record<number, number>>;
  /** Older exports only: allowed to be absent when `alternative` is present. */
  readonly alternative?: string;
}

/** A problem with one tensor of one model file, phrased for a person. */
export interface ContractProblem {
  readonly file: string;
  readonly message: string;
}

const FLOAT = ['float32', 'float16'];
const IDS = ['int64', 'int32'];

export const TEXT_ENCODER_INPUTS: readonly TensorRule[] = [{ name: 'input_ids', types: IDS, rank: 2 }];

export const UNET_INPUTS: readonly TensorRule[] = [
  { name: 'sample', types: FLOAT, rank: 4, fixed: { 1: 4 } },
  // A float32 scalar in current Optimum; int64 [1] (or float [1]) up to Optimum 1.23.
  { name: 'timestep', types: ['float32', 'float16', 'int64'], rank: -1 },
  { name: 'encoder_hidden_states', types: FLOAT, rank: 3 },
  { name: 'text_embeds', types: FLOAT, rank: 2 },
  { name: 'time_ids', types: FLOAT, rank: 2 },
];
export const UNET_OUTPUTS: readonly TensorRule[] = [
  { name: 'out_sample', types: FLOAT, rank: 4, fixed: { 1: 4 } },
];

export const VAE_ENCODER_INPUTS: readonly TensorRule[] = [
  { name: 'sample', types: FLOAT, rank: 4, fixed: { 1: 3 } },
];
export const VAE_DECODER_INPUTS: readonly TensorRule[] = [
  { name: 'latent_sample', types: FLOAT, rank: 4, fixed: { 1: 4 } },
];
export const VAE_DECODER_OUTPUTS: readonly TensorRule[] = [
  { name: 'sample', types: FLOAT, rank: 4, fixed: { 1: 3 } },
];

const showShape = (s: readonly (number | string)[]) => `[${s.join(', ')}]`;

/** Checks the tensors a model must have; reports missing names (with the names it has) and wrong types/shapes. */
export function checkTensors(
  file: string,
  kind: 'input' | 'output',
  actual: readonly TensorMetadata[],
  rules: readonly TensorRule[],
): ContractProblem[] {
  const problems: ContractProblem[] = [];
  const byName = new Map(actual.map((t) => [t.name, t]));
  for (const rule of rules) {
    const t = byName.get(rule.name);
    if (t === undefined) {
      if (rule.alternative !== undefined && byName.has(rule.alternative)) continue;
      const has = actual.map((a) => a.name).join(', ') || 'none';
      problems.push({ file, message: `has no ${kind} named "${rule.name}" (its ${kind}s: ${has})` });
      continue;
    }
    problems.push(...checkTensor(file, kind, t, rule));
  }
  return problems;
}

export function checkTensor(
  file: string,
  kind: string,
  t: TensorMetadata,
  rule: TensorRule,
): ContractProblem[] {
  const problems: ContractProblem[] = [];
  if (t.type !== undefined && !rule.types.includes(t.type)) {
    problems.push({ file, message: `${kind} "${t.name}" is ${t.type}, expected ${rule.types.join(' or ')}` });
  }
  if (rule.rank >= 0 && t.shape.length > 0 && t.shape.length !== rule.rank) {
    problems.push({
      file,
      message: `${kind} "${t.name}" has shape ${showShape(t.shape)} (rank ${t.shape.length}), expected rank ${rule.rank}`,
    });
    return problems;
  }
  for (const [axis, value] of Object.entries(rule.fixed ?? {})) {
    const d = t.shape[Number(axis)];
    if (typeof d === 'number' && d !== value) {
      problems.push({
        file,
        message: `${kind} "${t.name}" has shape ${showShape(t.shape)}, expected ${value} at axis ${axis}`,
      });
    }
  }
  return problems;
}

/** The last dimension when the model fixes it. */
export function lastDim(t: TensorMetadata | undefined): number | undefined {
  const d = t?.shape[t.shape.length - 1];
  return typeof d === 'number' ? d : undefined;
}
