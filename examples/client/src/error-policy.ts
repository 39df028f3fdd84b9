/**
 * What a token manager does with a failed refresh, decided by the error's code alone
 * (the gateway's closed table of `extensions.code`s, see the README):
 * - `sign-out`: the refresh token is dead (INVALID_GRANT): drop the tokens, the user signs in again;
 * - `retry`: a transient condition (throttling, AWS or the network failing): try again after a backoff;
 * - `fail`: anything else is a bug or a misconfiguration that retrying will not fix.
 */
export type RefreshFailureAction = "sign-out" | "retry" | "fail";

const SIGN_OUT_CODES = new Set(["INVALID_GRANT"]);
const RETRY_CODES = new Set(["RATE_LIMITED", "SLOW_DOWN", "UPSTREAM_SERVER_ERROR", "UPSTREAM_UNAVAILABLE", "NETWORK_ERROR"]);

export function actionForErrorCode(code: string): RefreshFailureAction {
  if (SIGN_OUT_CODES.has(code)) return "sign-out";
  if (RETRY_CODES.has(code) || code.startsWith("UPSTREAM_")) return "retry";
  return "fail";
}

export interface BackoffOptions {
  /**
   * First retry delay in ms (default 1000). Keep it at 1 s or more: the gateway shares a failed
   * exchange's error with identical requests for about a second, so earlier retries see it again.
   */
  initialDelayMs?: number;
  /** Ceiling of any one delay in ms (default 30 000). */
  maxDelayMs?: number;
}

/**
 * "Equal jitter" exponential backoff: a random delay in [ceiling/2, ceiling] with
 * ceiling = min(max, initial * 2^attempt), so tabs and users retrying after one outage do not
 * come back in lock-step, yet never sooner than half the ceiling.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The wait before retry `attempt` (0 for the first) of a request the gateway refused with `extensions`:
 * the jittered backoff, but never sooner than the gateway's `retryAfterSeconds` (RATE_LIMITED from its
 * rate limits, UPSTREAM_UNAVAILABLE from its open circuit breaker): a retry before then is refused
 * again, and a client spending its attempts on that gives up just before the gateway would answer.
 */
export function retryDelayMs(extensions: Readonly<Record<string, unknown>>, attempt: number, options: BackoffOptions = {}): number {
  const backoff = backoffDelayMs(attempt, options);
  const retryAfterSeconds = extensions.retryAfterSeconds;
  if (typeof retryAfterSeconds !== "number" || !Number.isFinite(retryAfterSeconds) || retryAfterSeconds <= 0) return backoff;
  return Math.max(backoff, Math.ceil(retryAfterSeconds * 1000));
}
