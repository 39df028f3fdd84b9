import type { GatewayError } from "../errors/error-codes.js";

/**
 * A rate limit on one kind of key (a caller's IP, an application's clientId). `consume(key)`
 * resolves when the request may go ahead and rejects with `GatewayError("RATE_LIMITED", …,
 * { retryAfterSeconds })` when it may not. Store faults never reject: the limiter falls back to
 * per-process counting while Redis is down.
 */
export interface RateLimit {
  consume(key: string): Promise<void>;
  /**
   * The refusal `key` would meet now, when this process refused it moments ago and its window has
   * not ended; undefined otherwise (no I/O: it may still be refused by consume). Lets a caller past
   * its budget be refused before work that costs shared resources.
   */
  refusedNow?(key: string): GatewayError | undefined;
}

/**
 * IPv6 networks' share of the per-caller bounds (server/caller-networks.ts builds it from
 * IPV6_NETWORK_*): the network a caller key lies in (undefined for IPv4), and how many callers' worth
 * of each bound the network gets in all. The rate limits, the sessions' counter and the server's
 * connection caps and parsing turns all count by it.
 */
export interface CallerNetworkTier {
  networkOf(key: string): string | undefined;
  readonly callers: number;
}

export interface RateLimits {
  /** Per caller (client IP) GraphQL requests; undefined when RATE_LIMIT_CALLER_PER_SECOND=0. */
  readonly caller: RateLimit | undefined;
  /** Per application (clientId) exchanges; undefined when RATE_LIMIT_APP_PER_SECOND=0. */
  readonly application: RateLimit | undefined;
  /**
   * Per caller (client IP) exchanges sent on to AWS, consumed right before each real upstream call;
   * undefined when RATE_LIMIT_CALLER_UPSTREAM_PER_SECOND is 0 (or unset in a hand-built config).
   */
  readonly callerUpstream: RateLimit | undefined;
  /**
   * Gateway-wide STS AssumeRole calls (every caller and replica; the credentials service spends one
   * key), consumed right before each real AssumeRole; undefined when RATE_LIMIT_STS_PER_SECOND is 0
   * (or unset in a hand-built config).
   */
  readonly sts: RateLimit | undefined;
  /**
   * Per caller (client IP) persisted-query documents added to the table, per APQ_TTL_SECONDS;
   * undefined when APQ_MAX_ENTRIES_PER_CALLER or APQ_MAX_ENTRIES is 0 (or unset in a hand-built config).
   */
  readonly persistedQueryCaller: RateLimit | undefined;
  /** "redis" (shared across replicas) or "memory" (this process only). */
  readonly backend: "redis" | "memory";
  /** Closes the Redis connection, if any. Idempotent. */
  close(): Promise<void>;
}
