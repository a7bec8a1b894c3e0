/**
 * Whether onnxruntime-node can run on CUDA here, and which CUDA ordinal a moe GPU id is inside this process.
 *
 * onnxruntime-node lists `cuda` among its backends on linux x64 whether or not the provider library is
 * there (its `bundled` flag is always false for CUDA), and its npm install skips that library unless asked
 * (`ONNXRUNTIME_NODE_INSTALL=cuda12`; this project's package.json denies that install script in `allowScripts`). So the check looks for the
 * library beside the native binding; loading it can still fail later without a GPU, driver, CUDA 12 or
 * cuDNN 9, which openSession reports with the same advice.
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** What to tell a user who asked for CUDA, after the reason it cannot be used. */
export const CUDA_ADVICE =
  "install onnxruntime-node's CUDA binaries (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js; " +
  'they need an NVIDIA GPU with its driver, CUDA 12 and cuDNN 9)';

/** The message a step fails with when `field: cuda` cannot be honoured: what is wrong, and both ways out. */
export function cudaUnavailableMessage(reason: string, field = 'device'): string {
  return `${field}: cuda cannot be used: ${reason}. Either ${CUDA_ADVICE}, or set ${field}: cpu`;
}

/** The provider libraries an install with CUDA puts beside the binding (TensorRT's is optional). */
const PROVIDER_LIBRARIES: Partial<Record<NodeJS.Platform, readonly string[]>> = {
  linux: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
  win32: ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll'],
};

/**
 * Why CUDA cannot be used by this onnxruntime-node, or undefined when its provider library is installed.
 * `bindingDirs` is for tests; by default the folders of onnxruntime-node's native binding for this platform.
 */
export function cudaProviderProblem(
  bindingDirs: readonly string[] = ortBindingDirs(),
  backends: readonly { readonly name: string }[] = ort.listSupportedBackends(),
): string | undefined {
  const libraries = PROVIDER_LIBRARIES[process.platform];
  if (!backends.some((b) => b.name === 'cuda') || libraries === undefined) {
    return `this onnxruntime-node has no CUDA execution provider on ${process.platform} ${process.arch}`;
  }
  const isFile = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isFile() === true;
  if (bindingDirs.some((dir) => libraries.every((l) => isFile(join(dir, l))))) return undefined;
  const where = bindingDirs[0] ?? 'onnxruntime-node';
  const missing = libraries.filter((l) => !isFile(join(where, l)));
  return `onnxruntime-node was installed without its CUDA binaries (no ${missing.join(', ')} in ${where})`;
}

function ortBindingDirs(): string[] {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  } catch {
    return [];
  }
  const bin = join(root, 'bin');
  const napi = safeList(bin).filter((n) => n.startsWith('napi-v'));
  return napi.map((n) => join(bin, n, process.platform, process.arch));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/**
 * The CUDA ordinal of moe's GPU `gpu` inside this process. moe numbers GPUs as CUDA_VISIBLE_DEVICES lists
 * them (or as the driver does when it is unset), and sets that variable only for child processes; CUDA in
 * this process numbers the devices it was started with from 0 (under Slurm, `CUDA_VISIBLE_DEVICES=3` makes
 * GPU 3 ordinal 0).
 */
export function cudaOrdinal(gpu: number | undefined, visible: string | undefined): number {
  if (gpu === undefined) return 0;
  if (visible === undefined || visible.trim() === '') return gpu;
  const ids = visible.split(',').map((s) => s.trim());
  const at = ids.indexOf(String(gpu));
  return at >= 0 ? at : gpu;
}
