/** The gateway's validated, typed configuration. Built once by `loadConfig(env)` in this folder. */

export type NodeEnv = "development" | "production" | "test";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Where CreateTokenWithIAM goes. A discriminated union: switch on `mode` exhaustively. */
export type UpstreamConfig =
  /** SSO_OIDC_ENDPOINT set: the SDK talks to that endpoint (an emulator, a proxy). */
  | { mode: "endpoint"; endpoint: string; region: string }
  /** UPSTREAM=aws: real AWS in `region`, credentials from the SDK's default chain. */
  | { mode: "aws"; region: string }
  /** Default: the embedded emulator, started by main.ts on `emulatorPort`. */
  | { mode: "embedded"; region: string; emulatorPort: number };

export interface GatewayConfig {
  port: number;
  host: string;
  nodeEnv: NodeEnv;
  logLevel: LogLevel;
  upstream: UpstreamConfig;
  /** Per-attempt request timeout for CreateTokenWithIAM, ms. */
  upstreamTimeoutMs: number;
  /** Connect timeout, ms. */
  upstreamConnectTimeoutMs: number;
  /** Total attempts for retryable faults (1 = no retry). */
  upstreamMaxAttempts: number;
  /**
   * Upstream circuit breaker: consecutive availability faults that open it, and its cool-down (ms).
   * loadConfig always sets it; optional so hand-built test configs may omit it (createUpstream's defaults).
   */
  circuitBreaker?: { threshold: number; cooldownMs: number };
  /** The application ARN used when a request names none. */
  defaultClientId: string;
  /** Applications the gateway will exchange for. Always contains defaultClientId. */
  allowedClientIds: readonly string[];
  redisUrl: string | undefined;
  /** Key material for key derivation (HMAC) and at-rest encryption; >= 32 bytes. */
  gatewaySecret: Buffer;
  /** True when no GATEWAY_SECRET was given and one was generated for this process (development only). */
  gatewaySecretGenerated: boolean;
  introspection: boolean;
  /** Serve the offline explorer to browsers at the GraphQL endpoint (src/server/explorer/). */
  explorer: boolean;
  /** Cross-origin browser access (CORS, never with credentials). */
  cors: CorsConfig;
  /** Apollo GraphOS schema and usage reporting; undefined = none. */
  apolloReporting: ApolloReportingConfig | undefined;
  /** Limits on one GraphQL request, enforced before execution (src/server/limits/). */
  operationLimits: OperationLimits;
  /** Rate limits (src/ratelimit/); 0 disables one. */
  rateLimits: RateLimitConfig;
  /** Take the caller's IP from X-Forwarded-For (behind a trusted proxy only). */
  trustProxy: boolean;
  /** How long a graceful shutdown may take before the process exits 1, ms. */
  shutdownTimeoutMs: number;
  /**
   * Single-flight, response cache and refresh grace window (src/tokens/). loadConfig always sets it;
   * optional so hand-built test configs may omit it (the token service then uses the documented defaults).
   */
  coordination?: CoordinationConfig;
}

export interface CoordinationConfig {
  /** How long a rotated refresh token still obtains its successor, seconds; 0 = no grace window. */
  refreshGraceSeconds: number;
  /** A cached response is served only while its access token keeps more than this many seconds of life. */
  cacheMinTtlSeconds: number;
  /** Bounds of the process-local response cache (and of the memory store). */
  cacheMaxEntries: number;
  cacheMaxBytes: number;
  /** How long a request waits for an identical one in flight, ms; undefined = twice the lock's lifetime. */
  singleFlightWaitMs: number | undefined;
  /** Prepended to every Redis key and channel (replica groups sharing one Redis database). */
  redisKeyPrefix: string;
}

export interface OperationLimits {
  maxAliases: number;
  maxDepth: number;
  maxDirectives: number;
  maxCost: number;
  maxTokens: number;
  maxBodyBytes: number;
}

export interface RateLimitConfig {
  /** Per application (clientId) exchanges per second. */
  applicationPerSecond: number;
  /** Per caller (client IP) GraphQL requests per second, plus a burst. */
  callerPerSecond: number;
  callerBurst: number;
}

export interface CorsConfig {
  /** Exact origins allowed (scheme://host[:port]). */
  origins: readonly string[];
  /** Also allow http://localhost:<any port> and http://127.0.0.1:<any port> (development default). */
  allowLocalhost: boolean;
}

export interface ApolloReportingConfig {
  /** APOLLO_KEY: a secret, never logged. */
  key: string;
  graphRef: string;
}
