import type { GatewayConfig } from "../config/config.types.js";
import type { HeapTenant } from "../config/heap-budget.js";
import { CREDENTIALS_CACHE_MAX_BYTES } from "../credentials/credentials-cache.js";
import { MEMORY_IDENTITY_CONTEXT_LIMITS } from "../tokens/identity-context-registry.js";
import { MEMORY_FAMILY_LIMITS, MEMORY_REVOCATION_LIMITS } from "../tokens/refresh-family.js";

/**
 * The bounded, long-lived holders of this gateway's heap, with their bounds as configured (heap-budget.ts
 * checks their sum against the heap limit): the response cache and, with identity-enhanced
 * credentials on, the credentials cache's local level, on every replica. Without Redis, refresh
 * families and identity contexts each keep a memory store of their own, of small entries held on the
 * heap; with it they live in Redis.
 * Persisted queries' documents are mostly larger than a memory store keeps on the heap (Buffers,
 * outside it): their heap share (~1.5 MB at the defaults) is within the rest (heap-budget.ts).
 */
export function heapTenants(config: GatewayConfig): HeapTenant[] {
  const tenants: HeapTenant[] = [];
  const credentialsOn = (config.credentials?.allowedRoleArns.length ?? 0) > 0;
  if (config.coordination !== undefined) tenants.push({ name: "CACHE_MAX_BYTES", bytes: config.coordination.cacheMaxBytes });
  // Every replica keeps credentials it handed out in a local level, Redis or not.
  if (credentialsOn) tenants.push({ name: "AWS credentials", bytes: CREDENTIALS_CACHE_MAX_BYTES });
  if (config.redisUrl !== undefined) return tenants;
  if (config.coordination?.refreshReuseDetection ?? true) tenants.push({ name: "refresh families", bytes: MEMORY_FAMILY_LIMITS.maxBytes + MEMORY_REVOCATION_LIMITS.maxBytes });
  if (credentialsOn) tenants.push({ name: "identity contexts", bytes: MEMORY_IDENTITY_CONTEXT_LIMITS.maxBytes });
  return tenants;
}
