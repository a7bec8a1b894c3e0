/**
 * Training checkpoints in the node's checkpoint directory:
 *
 *   step-00000040/weights.safetensors    the trained weights (diffusers names)
 *   step-00000040/optimizer.safetensors  AdamW moments and step, EMA shadows (src/train/optim)
 *   step-00000040/state.json             step, seed, the next micro-batch, metrics length, settings digest
 *   step-00000040/COMPLETE               written last: a folder without it is ignored
 *
 * A checkpoint is staged in a dot-folder and renamed into place after its marker is written, then older
 * checkpoints are removed, so disk use stays at one checkpoint and a kill at any moment leaves either the
 * previous or the new checkpoint whole. Randomness is a pure function of (seed, micro-batch), so the
 * state needs no generator bytes.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors, writeSafetensors } from '../../formats/safetensors.js';
import type { Parameter } from '../optim/index.js';
import { loadOptimizerState, saveOptimizerState } from '../optim/index.js';
import type { AdamW, WeightEma } from '../optim/index.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';

export interface CheckpointState {
  readonly format: 'moe-train-expert/1';
  /** Optimizer steps done. */
  readonly step: number;
  /** Micro-batches consumed (step × accumulation): where data order and draws continue. */
  readonly microBatch: number;
  readonly seed: number;
  /** Bytes of metrics.jsonl that belong to steps ≤ step. */
  readonly metricsBytes: number;
  /** A digest of the settings that shape the run; a checkpoint from other settings is not resumed. */
  readonly settings: string;
}

export interface FoundCheckpoint {
  readonly dir: string;
  readonly state: CheckpointState;
}

const MARKER = 'COMPLETE';
const PREFIX = 'step-';
const dirName = (step: number): string => `${PREFIX}${String(step).padStart(8, '0')}`;

export async function saveCheckpoint(
  root: string,
  state: CheckpointState,
  params: readonly Parameter[],
  optimizer: AdamW,
  ema: WeightEma | undefined,
): Promise<string> {
  await mkdir(root, { recursive: true });
  const final = join(root, dirName(state.step));
  const stage = join(root, `.${dirName(state.step)}.${process.pid}.tmp`);
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage);
  // Both files at once: each ends with an fsync, and the file system serves concurrent ones together.
  await Promise.all([
    writeSafetensors(
      join(stage, 'weights.safetensors'),
      params.map((p) => ({ name: p.name, shape: [p.data.length], data: p.data })),
      { format: 'moe-weights' },
    ),
    saveOptimizerState(join(stage, 'optimizer.safetensors'), optimizer, ema),
  ]);
  await writeFile(join(stage, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  await writeFile(join(stage, MARKER), `${state.step}\n`);
  await rm(final, { recursive: true, force: true });
  await rename(stage, final);
  await pruneCheckpoints(root, final);
  return final;
}

/** Removes every checkpoint and stale staging folder except `keep`. */
async function pruneCheckpoints(root: string, keep: string): Promise<void> {
  for (const name of await readdir(root)) {
    const path = join(root, name);
    if (path === keep) continue;
    if (name.startsWith(PREFIX) || (name.startsWith(`.${PREFIX}`) && name.endsWith('.tmp'))) {
      await rm(path, { recursive: true, force: true });
    }
  }
}

function parseState(text: string): CheckpointState | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const r = o as Record<string, unknown>;
  const ints = ['step', 'microBatch', 'seed', 'metricsBytes'].every(
    (k) => Number.isSafeInteger(r[k]) && (r[k] as number) >= 0,
  );
  if (r['format'] !== 'moe-train-expert/1' || !ints || typeof r['settings'] !== 'string') return undefined;
  return o as CheckpointState;
}

/** The complete checkpoint with the highest step, if any (incomplete or unreadable ones are skipped). */
export async function latestCheckpoint(root: string): Promise<FoundCheckpoint | undefined> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return undefined;
  }
  const candidates = names
    .filter((n) => /^step-\d{8}$/.test(n))
    .sort()
    .reverse();
  for (const name of candidates) {
    const dir = join(root, name);
    try {
      await readFile(join(dir, MARKER));
      const state = parseState(await readFile(join(dir, 'state.json'), 'utf8'));
      if (state) return { dir, state };
    } catch {
      continue;
    }
  }
  return undefined;
}

/** The weights of a checkpoint by name. */
export async function loadCheckpointWeights(dir: string): Promise<Result<Map<string, Float32Array>, string>> {
  const opened = await openSafetensors(join(dir, 'weights.safetensors'));
  if (!opened.ok) return err(opened.error.message);
  const reader = opened.value;
  try {
    const out = new Map<string, Float32Array>();
    for (const [name, info] of reader.tensors) {
      if (info.dtype !== 'F32') return err(`${dir}: weight ${name} is ${info.dtype}, expected F32`);
      out.set(name, (await reader.read(name)) as Float32Array);
    }
    return ok(out);
  } finally {
    await reader.close();
  }
}

/** Restores AdamW (and EMA) state from a checkpoint into freshly created optimizers. */
export async function loadCheckpointOptimizer(
  dir: string,
  optimizer: AdamW,
  ema: WeightEma | undefined,
): Promise<Result<void, string>> {
  const r = await loadOptimizerState(join(dir, 'optimizer.safetensors'), optimizer, ema);
  return r.ok ? ok(undefined) : err(r.error.message);
}
