import type { GatewayConfig } from "../config/config.types.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import type { RateLimit } from "../ratelimit/index.js";
import type { ReadinessCheck } from "./readiness.route.js";
import type { Store } from "../store/index.js";
import type { RequestCredentialsService } from "../credentials/index.js";
import type { SessionService } from "../sessions/index.js";
import type { RequestCaller, RequestTokenService } from "../tokens/token.types.js";

/** What the server needs of the token service (src/tokens/index.ts implements it). */
export interface TokenService {
  /** `caller`: the client address whose per-caller upstream budget the operation's exchanges spend. */
  forRequest(caller?: RequestCaller): RequestTokenService;
}

/** What the server needs of the credentials service (src/credentials/index.ts implements it). */
export interface CredentialsService {
  forRequest(caller?: RequestCaller): RequestCredentialsService;
}

export interface GatewayServerDeps {
  config: GatewayConfig;
  tokenService: TokenService;
  /** Identity-enhanced AWS credentials (awsCredentials, assumeRoleWithIdentityContext). Absent: both answer BAD_USER_INPUT (not configured). */
  credentialsService?: CredentialsService;
  /** Cookie sessions (SESSION_MODE=cookie; createCookieSessions). Absent: session mode off. */
  sessionService?: SessionService | undefined;
  logger: Logger;
  /** A human-readable name of the upstream (e.g. "embedded emulator at http://127.0.0.1:4001"), for logs. */
  upstreamLabel: string;
  /** Records request metrics and serves them at GET /metrics. Absent: no /metrics route. */
  metrics?: GatewayMetrics;
  /** Upstream and store checks behind GET /readyz (main.ts builds it). Absent: ready while serving. */
  readiness?: ReadinessCheck;
  /** Per-caller (client IP) limit on /graphql requests: HTTP 429 over it. Absent: no limit. */
  callerRateLimit?: RateLimit;
  /** Per-caller (client IP) share of the persisted-query table (APQ_MAX_ENTRIES_PER_CALLER). Absent: no per-caller share. */
  persistedQueryCallerLimit?: RateLimit;
  /** The embedded emulator's base URL (embedded mode): the explorer offers test credentials from it. */
  emulatorUrl?: string;
  /** The token store (shared state). Persisted queries never use it: they have their own, below. */
  store?: Store;
  /**
   * Persisted queries' own store (never the token store). Absent: the server creates one from
   * config (memory, or Redis with REDIS_URL) and closes it on close().
   */
  persistedQueryStore?: Store;
}

export interface GatewayServer {
  /** Starts listening; resolves with the GraphQL endpoint URL (`http://host:port/graphql`, the real port when 0 was asked). */
  listen(port: number, host: string): Promise<{ url: string; metricsUrl?: string }>;
  /** Stops accepting connections, lets in-flight requests finish, then stops Apollo. Idempotent. */
  close(): Promise<void>;
  /** GraphQL requests in flight right now (for shutdown logs). */
  inFlightRequests(): number;
}
