import type { Logger } from "../logging/logger.js";

/**
 * The gateway's own view of CreateTokenWithIAM: plain data, so no AWS SDK type leaks above `tokens/`.
 * Field names are AWS's; grant types are AWS's wire values.
 */

export const UPSTREAM_GRANT_TYPES = [
  "authorization_code",
  "refresh_token",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
  "urn:ietf:params:oauth:grant-type:token-exchange",
] as const;
export type UpstreamGrantType = (typeof UPSTREAM_GRANT_TYPES)[number];

export interface UpstreamTokenRequest {
  clientId: string;
  grantType: UpstreamGrantType;
  code?: string;
  refreshToken?: string;
  assertion?: string;
  scope?: string[];
  redirectUri?: string;
  subjectToken?: string;
  subjectTokenType?: string;
  requestedTokenType?: string;
  codeVerifier?: string;
}

export interface UpstreamTokenResponse {
  accessToken?: string;
  tokenType?: string;
  expiresIn?: number;
  refreshToken?: string;
  idToken?: string;
  issuedTokenType?: string;
  scope?: string[];
  awsAdditionalDetails?: { identityContext?: string };
  /** AWS's request id of the successful call (for logs and support cases). */
  requestId?: string;
}

export interface Upstream {
  /** Resolves with AWS's answer; rejects with a `GatewayError` only (see `mapUpstreamError`). */
  createTokenWithIAM(request: UpstreamTokenRequest): Promise<UpstreamTokenResponse>;
  /** Closes pooled connections. */
  destroy(): void;
}

/** The upstream's state for readiness checks: `ok` is false while the circuit is open (failing fast). */
export interface UpstreamHealth {
  ok: boolean;
  circuit: "closed" | "open" | "half-open";
  /** One human sentence, safe to show on /readyz. */
  detail: string;
}

/** What `createUpstream` returns: the Upstream plus its circuit breaker's state. */
export interface GatewayUpstream extends Upstream {
  health(): UpstreamHealth;
}

/**
 * How long a single-use grant's call (refresh token, authorization code) keeps waiting for AWS's
 * answer. Such a call is never cut short at UPSTREAM_TIMEOUT_MS or UPSTREAM_DEADLINE_MS and never
 * replayed (AWS may already have consumed the grant): the tokens layer answers its caller at the
 * deadline and keeps the late answer for the caller's retry. At least a minute, and never shorter
 * than the deadline itself.
 */
export function singleUseAnswerTimeoutMs(config: { upstreamDeadlineMs: number }): number {
  return Math.max(60_000, config.upstreamDeadlineMs);
}

/** Circuit breaker defaults: open after 5 consecutive availability faults, probe after 10 s. */
export const DEFAULT_CIRCUIT_BREAKER = { threshold: 5, cooldownMs: 10_000 } as const;

export interface CreateUpstreamOptions {
  region: string;
  /** An SSO OIDC endpoint (emulator, proxy); omitted = AWS's endpoint for `region`. */
  endpoint?: string;
  /** Static credentials (the embedded emulator's); omitted = the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per-attempt request timeout, ms. */
  timeoutMs: number;
  /** Connect timeout, ms. */
  connectTimeoutMs: number;
  /** Total attempts for retryable faults (1 = no retry). */
  maxAttempts: number;
  /** Consecutive availability faults that open the circuit, and its cool-down (default DEFAULT_CIRCUIT_BREAKER). */
  circuitBreaker?: { threshold: number; cooldownMs: number };
  logger: Logger;
}
