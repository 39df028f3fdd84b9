/**
 * Whether the gateway's bounded, long-lived tenants of the V8 heap fit the heap the process was given
 * (--max-old-space-size, e.g. the image's NODE_OPTIONS). A tenant allowed to grow past what the heap can
 * hold ends in an out-of-memory crash under load, so main.ts warns at start.
 */

/**
 * Heap the gateway needs besides its listed tenants: code, Apollo's document store (at most 16 MiB:
 * apollo-caches.ts), the memory stores' entries outside the tenants (their large values are Buffers,
 * outside the heap), requests in flight (a busy gateway's live set measured < 70 MB with its cache).
 */
export const HEAP_BESIDES_CACHE_BYTES = 64 * 1024 * 1024;

/** A bounded, long-lived holder of heap: its name as an operator knows it, and its bound in bytes. */
export interface HeapTenant {
  name: string;
  bytes: number;
}

const mb = (bytes: number): number => Math.ceil(bytes / (1024 * 1024));

/**
 * A warning when the tenants' bounds plus the rest cannot fit `heapLimitBytes`
 * (v8.getHeapStatistics().heap_size_limit); undefined when they fit. The first tenant is the response
 * cache (CACHE_MAX_BYTES), the one an operator sizes.
 */
export function describeHeapShortfall(tenants: readonly HeapTenant[], heapLimitBytes: number): string | undefined {
  const neededBytes = tenants.reduce((sum, tenant) => sum + tenant.bytes, HEAP_BESIDES_CACHE_BYTES);
  if (neededBytes <= heapLimitBytes) return undefined;
  const listed = [...tenants.map((tenant) => `${tenant.name} ${mb(tenant.bytes)} MB`), `the rest of the gateway ${mb(HEAP_BESIDES_CACHE_BYTES)} MB`].join(", ");
  return `The gateway's bounded memory (${listed}) needs ${mb(neededBytes)} MB, more than this process's heap limit (${mb(heapLimitBytes)} MB): full, it would run the process out of memory. Raise --max-old-space-size (NODE_OPTIONS) to at least ${mb(neededBytes)} MB, or lower CACHE_MAX_BYTES.`;
}
