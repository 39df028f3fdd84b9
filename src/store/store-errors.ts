/**
 * Thrown (as a rejection) by a shared backend that cannot be reached right now. It is the one
 * signal the resilient store falls back on; anything else (bad arguments, a Redis reply error)
 * is a real fault and propagates.
 */
export class StoreUnavailableError extends Error {
  constructor(detail: string) {
    super(`redis unreachable (${detail})`);
    this.name = "StoreUnavailableError";
  }
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}
