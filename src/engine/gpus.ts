// Which GPU devices this machine offers the scheduler. Cheap by design (no nvidia-smi spawn): the
// environment first, then the driver's device list in /proc.
import { readdirSync } from 'node:fs';

export function detectGpus(env: Readonly<Record<string, string | undefined>>): number[] {
  const visible = env['CUDA_VISIBLE_DEVICES'];
  if (visible !== undefined) return parseDeviceList(visible);
  try {
    return readdirSync('/proc/driver/nvidia/gpus').map((_, i) => i);
  } catch {
    return [];
  }
}

/**
 * `0,2,3` → [0, 2, 3]; an empty list or `-1` means no devices, and the list ends at the first id that is
 * not a device, as CUDA reads it (`0,-1,1` is device 0). A list naming any device by UUID is
 * numbered by position (`GPU-a,MIG-b` → [0, 1]), and `deviceNames` gives what each number stands for.
 */
export function parseDeviceList(text: string): number[] {
  const parts = deviceParts(text);
  const named = parts.some((p) => !/^\d+$/.test(p));
  return parts.map((p, i) => (named ? i : Number(p)));
}

/**
 * The devices' names by their number in `parseDeviceList`, when the list names any by UUID; undefined for
 * a list of indices (the numbers are the names). A node is handed the names: CUDA_VISIBLE_DEVICES=0 is not
 * the device `GPU-8a1b…` or the MIG slice `MIG-…` the list gave.
 */
export function deviceNames(text: string): string[] | undefined {
  const parts = deviceParts(text);
  return parts.some((p) => !/^\d+$/.test(p)) ? parts : undefined;
}

/** What a node's CUDA_VISIBLE_DEVICES says for its devices: their names where the list gave any. */
export function visibleDevices(gpus: readonly number[], names: readonly string[] | undefined): string {
  return names === undefined ? gpus.join(',') : gpus.map((g) => names[g] ?? String(g)).join(',');
}

/** The list's devices as CUDA reads it: up to the first id that is not a device (`0,-1,1` is device 0). */
function deviceParts(text: string): string[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const end = parts.findIndex((p) => !/^\d+$/.test(p) && !/^(GPU|MIG)-\S+$/.test(p));
  return end === -1 ? parts : parts.slice(0, end);
}

/**
 * What is wrong with a device list a person typed (`--gpus`), or undefined: each id a device index or a
 * GPU/MIG UUID, none twice (`0,0` would put two nodes on one device; `0.1` meant `0,1`).
 */
export function deviceListProblem(text: string): string | undefined {
  const parts = text.split(',').map((s) => s.trim());
  if (text.trim() === '' || text.trim() === '-1') return undefined;
  const bad = parts.find((p) => !/^\d+$/.test(p) && !/^(GPU|MIG)-\S+$/.test(p));
  if (bad !== undefined)
    return `\`${bad}\` is not a device index or a GPU UUID; list devices as 0,1 (or -1 for none)`;
  const twice = parts.find((p, i) => parts.indexOf(p) !== i);
  return twice === undefined ? undefined : `device ${twice} is listed twice`;
}
