/**
 * What makes a request a session request: `credentials: "include"` (the browser sends the HttpOnly
 * session cookie and keeps the one the answer sets, also when the gateway is on another origin) and
 * the header `x-idc-csrf: 1`, without which the gateway refuses every session operation (FORBIDDEN):
 * a page of another site cannot add a custom header without a CORS preflight the gateway's
 * allowlist answers. And how a session request's failure is handled, by its code.
 */
import { actionForErrorCode, type RefreshFailureAction } from "./error-policy.js";
import type { FetchLike, GatewayRequestOptions } from "./gateway-request.js";
import type { SessionClientOptions, SessionFetchLike } from "./session-client-options.js";

export const SESSION_CSRF_HEADER = "x-idc-csrf";

/** The fetch every session request goes through: the caller's (or the global one) with credentials included. */
export function credentialedFetch(fetchImpl: SessionFetchLike | undefined): FetchLike {
  // The global fetch is looked up per call (as executeOperation does), so a fetch installed later is used.
  return (input, init) => (fetchImpl ?? (globalThis.fetch as unknown as SessionFetchLike))(input, { ...init, credentials: "include" });
}

/** One request's options: a fresh timeout signal each time; the CSRF header set last, so no extra header can drop it. */
export function sessionRequestOptions(options: SessionClientOptions, fetchImpl: FetchLike, requestTimeoutMs: number): GatewayRequestOptions {
  return {
    endpoint: options.endpoint,
    fetch: fetchImpl,
    headers: { ...options.headers, [SESSION_CSRF_HEADER]: "1" },
    signal: AbortSignal.timeout(requestTimeoutMs),
  };
}

/**
 * The token manager's policy (error-policy.ts), plus what ends a session: UNAUTHENTICATED (no live
 * session: it ended, expired, or was signed out everywhere) and EXPIRED_TOKEN (the gateway ends the
 * session when its refresh is answered so, as it does for INVALID_GRANT).
 */
export function sessionActionForErrorCode(code: string): RefreshFailureAction {
  if (code === "UNAUTHENTICATED" || code === "EXPIRED_TOKEN") return "sign-out";
  return actionForErrorCode(code);
}
