/**
 * A scavenge (V8's young-generation collection) of the calling thread's heap, now: it frees the young
 * objects that died, the memory of their ArrayBuffers included, in about a millisecond. Left to itself
 * V8 scavenges when the young generation fills up, or once about 32 MB of young ArrayBuffer memory has
 * piled up, which can be a long time for a thread that allocates few but large buffers.
 *
 * `gc` is the function `--expose-gc` gives a context: the flag is set at run time (as Jest's leak
 * detector does) and the function taken from a fresh context, so moe needs no command-line flag. Each
 * thread gets the function of its own isolate.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'minor' }) => void;
let gc: Gc | undefined;

export function scavenge(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  gc({ type: 'minor' });
}
