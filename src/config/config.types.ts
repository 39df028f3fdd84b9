/** The gateway's validated, typed configuration. Built once by `loadConfig(env)` in this folder. */

export type NodeEnv = "development" | "production" | "test";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Where CreateTokenWithIAM goes. A discriminated union: switch on `mode` exhaustively. */
export type UpstreamConfig =
  /** SSO_OIDC_ENDPOINT set: the SDK talks to that endpoint (an emulator, a proxy). */
  | { mode: "endpoint"; endpoint: string; region: string }
  /** UPSTREAM=aws: real AWS in `region`, credentials from the SDK's default chain. */
  | { mode: "aws"; region: string }
  /**
   * The embedded emulator, started by main.ts on `emulatorPort`. `explicit`: UPSTREAM=embedded was
   * set (the only way to run it with NODE_ENV=production: a demo, announced with a warning).
   */
  | { mode: "embedded"; region: string; emulatorPort: number; explicit: boolean };

export interface CredentialsConfig {
  /** The roles a caller may ask for; always contains defaultRoleArn when set. Empty: the feature is off. */
  allowedRoleArns: readonly string[];
  /** DEFAULT_ROLE_ARN: the role when a request names none (main.ts fills in the embedded emulator's). */
  defaultRoleArn: string | undefined;
  /** CREDENTIALS_MAX_DURATION_SECONDS: the longest (and default) session a caller may ask for, seconds. */
  maxDurationSeconds: number;
  /** STS_ENDPOINT, or SSO_OIDC_ENDPOINT when that is set; undefined: AWS's regional endpoint (or the embedded emulator's). */
  stsEndpoint: string | undefined;
}

/** TRUST_PROXY: false (the socket), true (leftmost X-Forwarded-For: unsafe behind appending proxies), a hop count, or proxy addresses/CIDRs. */
export type TrustProxy = boolean | number | readonly string[];

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
  /** UPSTREAM_DEADLINE_MS: a whole exchange, every attempt and back-off included, ms. */
  upstreamDeadlineMs: number;
  /**
   * Upstream circuit breaker: consecutive availability faults that open it, and its cool-down (ms).
   * loadConfig always sets it; optional so hand-built test configs may omit it (createUpstream's defaults).
   */
  circuitBreaker?: { threshold: number; cooldownMs: number };
  /** The application ARN used when a request names none. */
  defaultClientId: string;
  /** Applications the gateway will exchange for. Always contains defaultClientId. */
  allowedClientIds: readonly string[];
  /** Identity-enhanced AWS credentials (STS AssumeRole with the Identity Center context). loadConfig always sets it; absent in hand-built test configs: the feature is off. */
  credentials?: CredentialsConfig;
  /** EXPOSE_CLIENT_IDS: `Query.gateway` lists the application ARNs (off in production by default). */
  exposeClientIds: boolean;
  /** TRUSTED_TOKEN_ISSUERS: the `iss` values a JWT-bearer assertion may carry; undefined = not checked locally. */
  trustedTokenIssuers: readonly string[] | undefined;
  /** METRICS_PORT: /metrics on its own listener (same HOST); undefined = on PORT. */
  metricsPort: number | undefined;
  redisUrl: string | undefined;
  /** Key material for key derivation (HMAC) and at-rest encryption; >= 32 bytes. */
  gatewaySecret: Buffer;
  /** True when no GATEWAY_SECRET was given and one was generated for this process (development only). */
  gatewaySecretGenerated: boolean;
  introspection: boolean;
  /** Serve the offline explorer to browsers at the GraphQL endpoint (src/server/explorer/). */
  explorer: boolean;
  /** EXPLORER_EMULATOR_ACCESS: who may mint test credentials through the explorer (never in production). */
  explorerEmulatorAccess: "loopback" | "any";
  /** Cross-origin browser access (CORS; with credentials only in session mode, for the listed origins). */
  cors: CorsConfig;
  /** SESSION_MODE and its settings. loadConfig always sets it; absent in hand-built test configs: off. */
  sessions?: SessionConfig;
  /** Apollo GraphOS schema and usage reporting; undefined = none. */
  apolloReporting: ApolloReportingConfig | undefined;
  /** Limits on one GraphQL request, enforced before execution (src/server/limits/). */
  operationLimits: OperationLimits;
  /** Rate limits (src/ratelimit/); 0 disables one. */
  rateLimits: RateLimitConfig;
  /** Where the caller's IP comes from (TRUST_PROXY). */
  trustProxy: TrustProxy;
  /** Leading bits of an IPv6 address that name one caller (IPV6_CALLER_PREFIX_LENGTH). Optional for hand-built configs: 56 then. */
  ipv6CallerPrefixLength?: number;
  /**
   * IPV6_NETWORK_PREFIX_LENGTH and IPV6_NETWORK_CALLERS: the network tier of every per-caller bound
   * (src/server/caller-networks.ts). Optional for hand-built configs: off then.
   */
  ipv6Network?: { prefixLength: number; callers: number };
  /** Client connection bounds (MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS, HEADERS_TIMEOUT_MS). */
  connections: ConnectionLimits;
  /** Automatic persisted queries: their own bounded budget (APQ_*). */
  persistedQueries: PersistedQueryLimits;
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
  /** REFRESH_REUSE_DETECTION: a rotated token presented after its successor was used revokes the family. Undefined = true. */
  refreshReuseDetection?: boolean;
  /** REFRESH_FAMILY_TTL_SECONDS: how long family bookkeeping lives after the last refresh. Undefined = 2592000. */
  refreshFamilyTtlSeconds?: number;
}

export interface ConnectionLimits {
  /** Most open client connections at once. */
  maxConnections: number;
  /** Most open connections from one remote address (trusted proxies excepted); 0 = no cap. */
  maxConnectionsPerAddress: number;
  /** Most JSON bodies of one caller (rate-limit key) parsed per turn of the event loop; more wait for its next turn; 0 = off. */
  maxParsingPerCaller: number;
  /** Most requests one connection may have unanswered (pipelining); deeper, the connection is closed; 0 = no bound. Absent: 8. */
  maxPipelinedRequests?: number;
  /** Headers must arrive within this, and an idle keep-alive connection closes after it, ms. */
  headersTimeoutMs: number;
}

export interface PersistedQueryLimits {
  /** Largest document stored, bytes (UTF-8). */
  maxDocumentBytes: number;
  /** Most documents stored; 0 = persisted queries off. */
  maxEntries: number;
  ttlSeconds: number;
  /**
   * Most documents one caller may add per ttlSeconds (APQ_MAX_ENTRIES_PER_CALLER); 0 = no per-caller
   * bound. Optional so hand-built test configs may omit it (no per-caller bound then).
   */
  maxEntriesPerCaller?: number;
}

export interface OperationLimits {
  maxAliases: number;
  maxDepth: number;
  maxDirectives: number;
  maxCost: number;
  maxTokens: number;
  maxBodyBytes: number;
  /** MAX_EXCHANGES_PER_OPERATION: distinct token exchanges one operation may start. Undefined = 3. */
  maxExchanges?: number;
}

export interface RateLimitConfig {
  /** Per application (clientId) exchanges per second. */
  applicationPerSecond: number;
  /** Per caller (client IP) GraphQL requests per second, plus a burst. */
  callerPerSecond: number;
  callerBurst: number;
  /** Per caller (client IP) exchanges sent on to AWS per second, plus a burst. Undefined = 0 (off) for hand-built configs. */
  callerUpstreamPerSecond?: number;
  callerUpstreamBurst?: number;
  /** Gateway-wide STS AssumeRole calls per second (RATE_LIMIT_STS_PER_SECOND). Undefined = 0 (off) for hand-built configs. */
  stsPerSecond?: number;
}

/** SESSION_MODE=off (frontends hold tokens) or cookie (a backend-for-frontend: the browser holds a session cookie). */
export type SessionConfig = { mode: "off" } | CookieSessionConfig;

export interface CookieSessionConfig {
  mode: "cookie";
  /** SESSION_EXPOSE: the tokens responses may still show to page scripts; never the refresh token. */
  expose: { accessToken: boolean; idToken: boolean };
  /** SESSION_IDLE_TIMEOUT_SECONDS, in ms. */
  idleTimeoutMs: number;
  /** SESSION_ABSOLUTE_LIFETIME_SECONDS, in ms. */
  absoluteLifetimeMs: number;
  /** SESSION_MAX_PER_USER: live sessions per user (application and subject); 0 = no limit. */
  maxPerUser: number;
  /** SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER: sessions without an ID token a caller may start per absolute lifetime (so have alive at once); 0 = no limit. */
  maxWithoutIdTokenPerCaller: number;
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
