import { randomBytes, randomFillSync } from "node:crypto";

/** Bytes drawn from the CSPRNG at once. */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
/** Where the next unused byte is; POOL_BYTES: the pool needs refilling. */
let next = POOL_BYTES;

/**
 * `size` random bytes from the CSPRNG, drawn 4 KB at a time, each byte handed out once (and wiped from
 * the pool as it is). Why not `randomBytes(size)` on every call: each call pays OpenSSL 3's per-call
 * cost (~5 µs here for 12 bytes, against ~0.02 µs from the pool), and an uncached exchange on Redis
 * drew six (five AES-GCM IVs and a lock owner): 113 µs of a gateway's CPU per exchange in a profile on a
 * slow host, 3 µs from the pool (bench/profile.ts with REDIS_URL, bench/profile-diff.ts). Node's
 * own randomUUID pools its bytes the same way. The bytes are the CSPRNG's, only fetched in bulk.
 */
export function pooledRandomBytes(size: number): Buffer {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent but for speed, randomBytes gives as random bytes as the pool
  if (size > POOL_BYTES / 4) return randomBytes(size);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent but for speed, refilling sooner wastes unused random bytes, no more
  if (next + size > POOL_BYTES) {
    randomFillSync(pool);
    next = 0;
  }
  const bytes = Buffer.allocUnsafe(size);
  pool.copy(bytes, 0, next, next + size);
  pool.fill(0, next, next + size);
  next += size;
  return bytes;
}
