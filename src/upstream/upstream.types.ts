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

/**
 * STS AssumeRole with an Identity Center context (trusted identity propagation): plain data, so no
 * AWS SDK type leaks above `credentials/`.
 */
export interface UpstreamAssumeRoleRequest {
  roleArn: string;
  /** Names the session in CloudTrail: derived from the gateway, never from user data. */
  roleSessionName: string;
  durationSeconds: number;
  /** `awsAdditionalDetails.identityContext`: sent as the Identity Center provider's ContextAssertion. */
  identityContext: string;
}

export interface UpstreamRoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** When the credentials expire, epoch ms. */
  expiration: number;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  assumedRoleArn: string;
  /** AWS's request id of the successful call (for logs and support cases). */
  requestId?: string;
}

/** The gateway's STS client: identity-enhanced role sessions. */
export interface StsUpstream {
  /** Resolves with STS's credentials; rejects with a `GatewayError` only (see `mapUpstreamError`). */
  assumeRoleWithIdentityContext(request: UpstreamAssumeRoleRequest): Promise<UpstreamRoleCredentials>;
  /** The breaker's state (STS has its own: an STS outage never fails token exchanges fast). */
  health(): Omit<UpstreamHealth, "credentials">;
  /** Closes pooled connections. */
  destroy(): void;
}

/**
 * The upstream's state for readiness checks: `ok` is false while the circuit is open (failing fast)
 * or while the gateway's own AWS credentials are missing or rejected.
 */
export interface UpstreamHealth {
  ok: boolean;
  circuit: "closed" | "open" | "half-open";
  /** "missing": the credential chain found none; "rejected": AWS refused them; "ok": no problem seen. */
  credentials: "ok" | "missing" | "rejected";
  /** One human sentence (two when both fail), safe to show on /readyz: never a secret. */
  detail: string;
}

/** What `createUpstream` returns: the Upstream plus its health. */
export interface GatewayUpstream extends Upstream {
  health(): UpstreamHealth;
  /**
   * Resolves the gateway's credentials now (the SDK's default credential chain, or the static ones)
   * and, with `verifyCredentials`, asks STS whose they are (never Identity Center): at start-up, so
   * missing or refused credentials show on /readyz and in the log before the first exchange. Never
   * rejects; the outcome is in the returned health.
   */
  checkCredentials(): Promise<UpstreamHealth>;
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

/** UPSTREAM_DEADLINE_MS's default, for callers that state none. */
export const DEFAULT_UPSTREAM_DEADLINE_MS = 10_000;

/** Circuit breaker defaults: open after 5 consecutive availability faults, probe after 10 s. */
export const DEFAULT_CIRCUIT_BREAKER = { threshold: 5, cooldownMs: 10_000 } as const;

export interface CreateUpstreamOptions {
  region: string;
  /** An SSO OIDC endpoint (emulator, proxy); omitted = AWS's endpoint for `region`. */
  endpoint?: string;
  /** Static credentials (the embedded emulator's); omitted = the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per-attempt request timeout of a replayable call (JWT bearer, token exchange), ms. */
  timeoutMs: number;
  /**
   * A replayable call's whole time, every attempt and back-off included, ms (UPSTREAM_DEADLINE_MS;
   * default 10000): then it rejects with UPSTREAM_UNAVAILABLE and its in-flight request is aborted.
   */
  deadlineMs?: number;
  /**
   * How long a single-use grant's call waits for AWS's answer, ms (default
   * `singleUseAnswerTimeoutMs({ upstreamDeadlineMs: deadlineMs })`): it is not cut at `timeoutMs`.
   */
  singleUseAnswerTimeoutMs?: number;
  /** Connect timeout, ms. */
  connectTimeoutMs: number;
  /** Total attempts for retryable faults (1 = no retry). */
  maxAttempts: number;
  /** Consecutive availability faults that open the circuit, and its cool-down (default DEFAULT_CIRCUIT_BREAKER). */
  circuitBreaker?: { threshold: number; cooldownMs: number };
  logger: Logger;
  /**
   * Verify the gateway's own credentials with STS GetCallerIdentity at `checkCredentials` and while
   * AWS refuses them (credential-verifier.ts), at `stsEndpoint` (undefined: AWS's regional STS).
   * Omitted: never (the embedded emulator's credentials are its own).
   */
  verifyCredentials?: { stsEndpoint: string | undefined };
}
