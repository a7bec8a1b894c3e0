// Per-item tensors kept in a step's shared cache directory, one safetensors file per entry, named by its
// key. Entries are written atomically (writeSafetensors renames a finished temp file), so a crashed or
// concurrent run never leaves a half entry that a later run would take for done.
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors, writeSafetensors } from '../formats/safetensors.js';
import type { TensorInMemory } from '../formats/safetensors.js';

export interface EntryTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export class EntryStore {
  constructor(
    private readonly root: string,
    private readonly kind: string,
  ) {}

  path(key: string): string {
    return join(this.root, this.kind, key.slice(0, 2), `${key}.safetensors`);
  }

  async has(key: string): Promise<boolean> {
    return access(this.path(key)).then(
      () => true,
      () => false,
    );
  }

  async write(key: string, tensors: Readonly<Record<string, EntryTensor>>): Promise<void> {
    const path = this.path(key);
    await mkdir(join(path, '..'), { recursive: true });
    const list: TensorInMemory[] = Object.entries(tensors).map(([name, t]) => ({
      name,
      shape: t.shape,
      data: t.data,
    }));
    await writeSafetensors(path, list, { format: 'moe-entry' });
  }

  /** Shapes of an entry's tensors (header only). */
  async shapes(key: string): Promise<Map<string, readonly number[]>> {
    const opened = await openSafetensors(this.path(key));
    if (!opened.ok) throw new Error(opened.error.message);
    try {
      return new Map([...opened.value.tensors].map(([name, info]) => [name, info.shape]));
    } finally {
      await opened.value.close();
    }
  }

  async read(key: string, name: string): Promise<Float32Array> {
    const opened = await openSafetensors(this.path(key));
    if (!opened.ok) throw new Error(opened.error.message);
    try {
      const data = await opened.value.read(name);
      if (!(data instanceof Float32Array))
        throw new Error(`${this.path(key)}: ${name} is not a float tensor`);
      return data;
    } finally {
      await opened.value.close();
    }
  }
}
