import { AsyncLocalStorage } from "node:async_hooks";
import { StandardRetryStrategy } from "@smithy/core/retry";
import type { RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from "@smithy/types";

/**
 * Some requests must not be sent twice: an authorization code is single-use, so after a timeout
 * or a dropped connection AWS may already have consumed it, and a replay turns a success the
 * caller never saw into INVALID_GRANT. The SDK's retry strategy is per client, not per request,
 * so the request's replay policy travels in async context from `createTokenWithIAM` down to here.
 */
const replayPolicy = new AsyncLocalStorage<"replayable" | "not-replayable">();

/** Runs `send` so that the retry strategy below refuses every retry except throttling. */
export function withoutReplay<T>(send: () => Promise<T>): Promise<T> {
  return replayPolicy.run("not-replayable", send);
}

/**
 * The SDK's standard retry strategy (throttling, 5xx, timeouts and connection errors; backoff
 * with jitter; retry capacity), except for non-replayable requests, which are retried only after
 * throttling: a throttled request was refused before it was processed.
 */
export class ReplayGuardedRetryStrategy implements RetryStrategyV2 {
  readonly mode = "standard";
  private readonly standard: StandardRetryStrategy;

  constructor(maxAttempts: number) {
    this.standard = new StandardRetryStrategy(maxAttempts);
  }

  acquireInitialRetryToken(retryTokenScope: string): Promise<StandardRetryToken> {
    return this.standard.acquireInitialRetryToken(retryTokenScope);
  }

  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    if (replayPolicy.getStore() === "not-replayable" && errorInfo.errorType !== "THROTTLING") {
      // The SDK's retry middleware treats a rejection here as "no retry" and throws the original error.
      return Promise.reject(new Error("retry refused: the request is not replayable"));
    }
    return this.standard.refreshRetryTokenForRetry(token as StandardRetryToken, errorInfo);
  }

  recordSuccess(token: RetryToken): void {
    this.standard.recordSuccess(token as StandardRetryToken);
  }
}
