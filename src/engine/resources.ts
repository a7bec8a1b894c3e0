// What the scheduler hands out: job slots, CPU cores, memory and whole GPUs. GPUs are devices, not a
// count: each running node gets specific ids that no other running node holds at the same time.
import type { Resources } from '../pipeline/types.js';

/** CPUs, memory and device ids: what a node is granted, and (with a job count) what the machine offers. */
export interface Grant {
  readonly cpu: number;
  readonly memoryBytes: number;
  readonly gpus: readonly number[];
}

/** The machine's share for one run; `gpus` are the device ids it offers (CUDA_VISIBLE_DEVICES, `--gpus`, or the driver). */
export interface Capacity extends Grant {
  readonly jobs: number;
}

export class ResourcePool {
  readonly capacity: Capacity;
  #jobs = 0;
  #cpu = 0;
  #memory = 0;
  readonly #freeGpus: number[];

  constructor(capacity: Capacity) {
    this.capacity = capacity;
    this.#freeGpus = [...capacity.gpus].sort((a, b) => a - b);
  }

  /** Why a request can never be met on this machine, or undefined when it can. */
  impossible(req: Resources): string | undefined {
    if (req.gpu > this.capacity.gpus.length) {
      const have = this.capacity.gpus.length;
      return `asks for ${req.gpu} GPU${req.gpu === 1 ? '' : 's'} but ${have === 0 ? 'none is' : `only ${have} ${have === 1 ? 'is' : 'are'}`} available (set CUDA_VISIBLE_DEVICES or --gpus)`;
    }
    return undefined;
  }

  /** Reserves the request if it fits now. CPU and memory beyond the machine are capped so the node can run alone. */
  tryAcquire(req: Resources): Grant | undefined {
    const cpu = Math.min(Math.max(req.cpu, 0), this.capacity.cpu);
    const memoryBytes = Math.min(req.memoryBytes ?? 0, this.capacity.memoryBytes);
    if (this.#jobs + 1 > this.capacity.jobs) return undefined;
    if (this.#jobs > 0 && this.#cpu + cpu > this.capacity.cpu) return undefined;
    if (this.#jobs > 0 && this.#memory + memoryBytes > this.capacity.memoryBytes) return undefined;
    if (req.gpu > this.#freeGpus.length) return undefined;
    const gpus = this.#freeGpus.splice(0, req.gpu);
    this.#jobs += 1;
    this.#cpu += cpu;
    this.#memory += memoryBytes;
    return { cpu, memoryBytes, gpus };
  }

  release(grant: Grant): void {
    this.#jobs -= 1;
    this.#cpu -= grant.cpu;
    this.#memory -= grant.memoryBytes;
    this.#freeGpus.push(...grant.gpus);
    this.#freeGpus.sort((a, b) => a - b);
  }

  get running(): number {
    return this.#jobs;
  }
}
