/**
 * V8's collections on demand. A scavenge (young-generation collection) of the calling thread's heap
 * frees the young objects that died, the memory of their ArrayBuffers included, in about a millisecond.
 * Left to itself V8 scavenges when the young generation fills up, or once about 32 MB of young
 * ArrayBuffer memory has piled up, which can be a long time for a thread that allocates few but large
 * buffers. A full collection (mark-compact) also frees the old generation.
 *
 * `gc` is the function `--expose-gc` gives a context: the flag is set at run time (as Jest's leak
 * detector does) and the function taken from a fresh context, so moe needs no command-line flag. Each
 * thread gets the function of its own isolate.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Without options `gc` is a full collection; Node 20's V8 ignores `{ type: 'major' }`.
type Gc = (options?: { type: 'minor' }) => void;
let gc: Gc | undefined;

function exposed(): Gc {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  return gc;
}

export function scavenge(): void {
  exposed()({ type: 'minor' });
}

/** A full collection of the calling thread's heap, now (tens of milliseconds for a heap of 50 MB). */
export function collectAll(): void {
  exposed()();
}
