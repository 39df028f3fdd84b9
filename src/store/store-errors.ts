/**
 * Why a shared backend cannot serve right now: `unreachable` (connection down, command timeout)
 * or `writes-refused` (Redis answers, but refuses writes: maxmemory with noeviction ("OOM command
 * not allowed"), a read-only replica, a failed snapshot). Both are store failures, not faults of
 * the request: the resilient store serves from process memory until the backend serves again.
 */
export type StoreFailureCause = "unreachable" | "writes-refused";

/**
 * Thrown (as a rejection) by a shared backend that cannot serve right now. It is the one
 * signal the resilient store falls back on; anything else (bad arguments, a Redis reply error
 * that is not a refusal to write) is a real fault and propagates.
 */
export class StoreUnavailableError extends Error {
  readonly failure: StoreFailureCause;

  constructor(detail: string, failure: StoreFailureCause = "unreachable") {
    super(failure === "unreachable" ? `redis unreachable (${detail})` : `redis refuses writes (${detail})`);
    this.name = "StoreUnavailableError";
    this.failure = failure;
  }
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}

/** Redis' error prefixes for a write it refuses while otherwise answering (see the Redis docs on maxmemory, replicas and persistence). */
const WRITE_REFUSAL = /^(OOM|READONLY|MISCONF|NOREPLICAS|NOT_ENOUGH_REPLICAS)\b/;

export function isWriteRefusal(message: string): boolean {
  return WRITE_REFUSAL.test(message);
}
