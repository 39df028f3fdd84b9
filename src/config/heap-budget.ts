/**
 * Whether the response cache's byte bound (CACHE_MAX_BYTES) fits the V8 heap the process was given
 * (--max-old-space-size, e.g. the image's NODE_OPTIONS). The cache is the one large, long-lived
 * tenant of the heap; the rest of a busy gateway lives in well under 64 MB. A cache allowed to grow
 * past what the heap can hold ends in an out-of-memory crash under load, so main.ts warns at start.
 */

/** Heap the gateway needs besides the cache: code, Apollo's document store (at most 16 MiB: apollo-caches.ts), in-flight requests (measured live set < 70 MB). */
export const HEAP_BESIDES_CACHE_BYTES = 64 * 1024 * 1024;

/** A warning when `cacheMaxBytes` plus the rest cannot fit `heapLimitBytes` (v8.getHeapStatistics().heap_size_limit); undefined when it fits. */
export function describeHeapShortfall(cacheMaxBytes: number, heapLimitBytes: number): string | undefined {
  const neededBytes = cacheMaxBytes + HEAP_BESIDES_CACHE_BYTES;
  if (neededBytes <= heapLimitBytes) return undefined;
  const mb = (bytes: number) => Math.ceil(bytes / (1024 * 1024));
  return `CACHE_MAX_BYTES (${mb(cacheMaxBytes)} MB) does not fit this process's heap limit (${mb(heapLimitBytes)} MB) with the ${mb(HEAP_BESIDES_CACHE_BYTES)} MB the rest of the gateway needs: a full response cache would run the process out of memory. Raise --max-old-space-size (NODE_OPTIONS) to at least ${mb(neededBytes)} MB, or lower CACHE_MAX_BYTES.`;
}
