/**
 * Optimizer and EMA state as safetensors, torch state_dict style: `adamw.step` (I64), `adamw.m.<name>`,
 * `adamw.v.<name>`, and with an EMA `ema.updates` (I64) and `ema.shadow.<name>`. Written atomically by
 * the safetensors writer, so a checkpoint is either complete or absent.
 */
import { openSafetensors, writeSafetensors } from '../../formats/safetensors.js';
import type { TensorToWrite } from '../../formats/safetensors.js';
import type { Result } from '../../util/result.js';
import { err, ok } from '../../util/result.js';
import type { AdamW, AdamWState } from './adamw.js';
import type { WeightEma } from './ema.js';

export interface OptimizerStateError {
  readonly message: string;
}

export function optimizerStateTensors(opt: AdamW, ema?: WeightEma): TensorToWrite[] {
  const s = opt.state();
  const out: TensorToWrite[] = [{ name: 'adamw.step', shape: [1], data: BigInt64Array.of(BigInt(s.step)) }];
  for (const p of opt.params) {
    out.push({ name: `adamw.m.${p.name}`, shape: [p.data.length], data: s.m.get(p.name) as Float32Array });
    out.push({ name: `adamw.v.${p.name}`, shape: [p.data.length], data: s.v.get(p.name) as Float32Array });
  }
  if (ema) {
    out.push({ name: 'ema.updates', shape: [1], data: BigInt64Array.of(BigInt(ema.updates)) });
    ema.params.forEach((p, k) => {
      out.push({ name: `ema.shadow.${p.name}`, shape: [p.data.length], data: ema.shadow[k] as Float32Array });
    });
  }
  return out;
}

export async function saveOptimizerState(path: string, opt: AdamW, ema?: WeightEma): Promise<void> {
  await writeSafetensors(path, optimizerStateTensors(opt, ema), {
    format: 'moe-optimizer',
    optimizer: 'adamw',
  });
}

/** Reads a state file written by saveOptimizerState into `opt` (and `ema`). */
export async function loadOptimizerState(
  path: string,
  opt: AdamW,
  ema?: WeightEma,
): Promise<Result<void, OptimizerStateError>> {
  const r = await openSafetensors(path);
  if (!r.ok) return err({ message: r.error.message });
  const reader = r.value;
  try {
    const read = async (name: string): Promise<Float32Array | BigInt64Array | undefined> => {
      if (!reader.tensors.has(name)) return undefined;
      const t = await reader.read(name);
      return t instanceof Float32Array || t instanceof BigInt64Array ? t : undefined;
    };
    const step = await read('adamw.step');
    if (!(step instanceof BigInt64Array)) return err({ message: `${path}: no adamw.step` });
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const p of opt.params) {
      const mi = await read(`adamw.m.${p.name}`);
      const vi = await read(`adamw.v.${p.name}`);
      if (
        !(mi instanceof Float32Array) ||
        !(vi instanceof Float32Array) ||
        mi.length !== p.data.length ||
        vi.length !== p.data.length
      ) {
        return err({ message: `${path}: the moments of ${p.name} are missing or the wrong size` });
      }
      m.set(p.name, mi);
      v.set(p.name, vi);
    }
    const state: AdamWState = { step: Number(step[0]), m, v };
    opt.load(state);
    if (ema) {
      const updates = await read('ema.updates');
      if (!(updates instanceof BigInt64Array)) return err({ message: `${path}: no EMA state` });
      const shadow = new Map<string, Float32Array>();
      for (const p of ema.params) {
        const s = await read(`ema.shadow.${p.name}`);
        if (!(s instanceof Float32Array) || s.length !== p.data.length) {
          return err({ message: `${path}: the EMA shadow of ${p.name} is missing or the wrong size` });
        }
        shadow.set(p.name, s);
      }
      ema.load(shadow, Number(updates[0]));
    }
    return ok(undefined);
  } finally {
    await reader.close();
  }
}
