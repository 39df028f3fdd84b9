import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
/** The garbage collector, exposed in this test worker. */
export const collectGarbage = runInNewContext("gc") as () => void;

/** Heap in use once garbage is collected (twice: what the first pass frees can free more). */
export function collectedHeapUsed(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** Memory in use once garbage is collected: the heap, and the bytes of ArrayBuffers (Buffers) outside it. */
export function collectedMemoryUsed(): number {
  const heap = collectedHeapUsed();
  return heap + process.memoryUsage().arrayBuffers;
}
