import { StandardRetryStrategy } from "@smithy/core/retry";
import type { RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from "@smithy/types";

/**
 * SSO OIDC's own throttling answer, SlowDownException, comes with HTTP 400, so the SDK classifies
 * it as a client error and never retries it. It means "not processed, come back later": throttling.
 */
function isSlowDown(errorInfo: RetryErrorInfo): boolean {
  return (errorInfo.error as { name?: unknown } | undefined)?.name === "SlowDownException";
}

/**
 * The SDK's standard retry strategy (throttling, 5xx, timeouts and connection errors; backoff
 * with jitter; retry capacity), for one client. A client made for single-use grants (authorization
 * code, refresh token; `replayable: false`) retries only after throttling: a throttled request was
 * refused before it was processed. After a timeout, a dropped connection or a 5xx, AWS may already
 * have consumed the grant (and rotated the refresh token), and a replay turns a success the caller
 * never saw into INVALID_GRANT.
 *
 * A retry strategy hears of no call, only of errors, so replayability is the client's: the gateway
 * keeps one client per kind (create-upstream.ts). Once a call's deadline passes, no further attempt
 * reaches the network: an aborted attempt is not retried, and one started after the abort fails at
 * once (call-options.ts).
 *
 * `retryThrottling: false` (STS): a throttled call is not retried at all. The SDK retries STS's
 * `Throttling` (HTTP 400) and any 429 as THROTTLING, within one gateway call's deadline: more calls
 * into a quota the whole account shares, which deepen the throttle for everyone on it. The caller
 * gets SLOW_DOWN at once and comes back later.
 */
export class ReplayGuardedRetryStrategy implements RetryStrategyV2 {
  readonly mode = "standard";
  private readonly standard: StandardRetryStrategy;
  private readonly replayable: boolean;
  private readonly retryThrottling: boolean;

  /** `replayable: false` for the client of single-use grants; `retryThrottling: false` for STS. */
  constructor(maxAttempts: number, options: { replayable: boolean; retryThrottling?: boolean }) {
    this.standard = new StandardRetryStrategy(maxAttempts);
    // Fails closed: only an explicit true allows replays after faults other than throttling.
    this.replayable = options?.replayable === true;
    this.retryThrottling = options?.retryThrottling !== false;
  }

  acquireInitialRetryToken(retryTokenScope: string): Promise<StandardRetryToken> {
    return this.standard.acquireInitialRetryToken(retryTokenScope);
  }

  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<StandardRetryToken> {
    // The SDK's retry middleware treats a rejection here as "no retry" and throws the original error.
    // An aborted attempt (the call's deadline passed: call-options.ts) is never retried.
    if ((errorInfo.error as { name?: unknown } | undefined)?.name === "AbortError") return Promise.reject(new Error("retry refused: the call was aborted"));
    const info = isSlowDown(errorInfo) ? { ...errorInfo, errorType: "THROTTLING" as const } : errorInfo;
    if (!this.retryThrottling && info.errorType === "THROTTLING") return Promise.reject(new Error("retry refused: throttled"));
    if (!this.replayable && info.errorType !== "THROTTLING") {
      return Promise.reject(new Error("retry refused: the request is not replayable"));
    }
    return this.standard.refreshRetryTokenForRetry(token as StandardRetryToken, info);
  }

  recordSuccess(token: RetryToken): void {
    this.standard.recordSuccess(token as StandardRetryToken);
  }
}
