import { StandardRetryStrategy } from "@smithy/core/retry";
import type { RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from "@smithy/types";
import { currentCallPolicy } from "./call-policy.js";

/**
 * The SDK's standard retry strategy (throttling, 5xx, timeouts and connection errors; backoff
 * with jitter; retry capacity), with two refusals taken from the call's policy (call-policy.ts):
 *
 * - A single-use grant (authorization code, refresh token) is retried only after throttling: a
 *   throttled request was refused before it was processed. After a timeout, a dropped connection
 *   or a 5xx, AWS may already have consumed the grant (and rotated the refresh token), and a
 *   replay turns a success the caller never saw into INVALID_GRANT.
 * - Once the call's signal is aborted (its deadline passed), no further attempt starts.
 */
/**
 * SSO OIDC's own throttling answer, SlowDownException, comes with HTTP 400, so the SDK classifies
 * it as a client error and never retries it. It means "not processed, come back later": throttling.
 */
function isSlowDown(errorInfo: RetryErrorInfo): boolean {
  return (errorInfo.error as { name?: unknown } | undefined)?.name === "SlowDownException";
}

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
    // The SDK's retry middleware treats a rejection here as "no retry" and throws the original error.
    const policy = currentCallPolicy();
    if (policy?.signal.aborted) return Promise.reject(new Error("retry refused: the call's deadline has passed"));
    const info = isSlowDown(errorInfo) ? { ...errorInfo, errorType: "THROTTLING" as const } : errorInfo;
    if (policy?.replayable === false && info.errorType !== "THROTTLING") {
      return Promise.reject(new Error("retry refused: the request is not replayable"));
    }
    return this.standard.refreshRetryTokenForRetry(token as StandardRetryToken, info);
  }

  recordSuccess(token: RetryToken): void {
    this.standard.recordSuccess(token as StandardRetryToken);
  }
}
