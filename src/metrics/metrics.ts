import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The gateway's Prometheus metrics, in one registry per process. A leaf module: any layer may
 * record into it; only the server exposes it (`GET /metrics`). Labels are closed sets (operation
 * names, outcomes, error codes, grant types): never a token, client-supplied string or key.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** GraphQL operations by operation type/name and outcome (`ok` or the first error code). */
  readonly graphqlRequests: Counter<"operation" | "outcome">;
  readonly graphqlDuration: Histogram<"operation">;
  /** CreateTokenWithIAM calls that left the gateway, by grant and outcome (`ok` or our error code). */
  readonly upstreamCalls: Counter<"grant" | "outcome">;
  readonly upstreamDuration: Histogram<"grant">;
  /** Response cache lookups: `hit`, `miss`, `stale`. */
  readonly cacheLookups: Counter<"result">;
  /** Single-flight roles: `leader` (made the call), `follower` (joined one in flight), `grace` (served a rotated token's successor). */
  readonly singleFlight: Counter<"role">;
  /** Requests refused before execution, by reason (`rate_limited`, `max_aliases`, `body_too_large`, …). */
  readonly rejections: Counter<"reason">;
  /** Store operations that failed and were served from process memory or skipped, by cause (`unreachable`, `writes-refused`, `error`). */
  readonly storeFailures: Counter<"cause">;
  /** Refresh tokens refused at the gateway: a reuse revoked the family (`reuse`), a revoked family's token (`revoked`), a rotated token past its grace window (`rotated`). */
  readonly refreshReuse: Counter<"outcome">;
  /** Single-use exchanges (refresh, authorization code) past UPSTREAM_DEADLINE_MS, by grant and outcome (`deadline`: caller answered UPSTREAM_UNAVAILABLE; `kept`: the late answer was kept for the retry; `failed`: it never came). */
  readonly singleUseLate: Counter<"grant" | "outcome">;
  /** Persisted-query registrations by outcome (`stored`, `already_stored`, `too_large`, `carries_secret`, `budget_full`, `store_failed`). */
  readonly persistedQueryRegistrations: Counter<"outcome">;
  /** STS AssumeRole calls (identity-enhanced credentials) by outcome: `ok` or the error code. */
  readonly stsCalls: Counter<"outcome">;
  /** Identity-enhanced credentials lookups: `hit` (served from the cache), `miss`, or `follower` (joined an identical request in flight). */
  readonly credentialsLookups: Counter<"result">;
  /** Request bodies that waited for their caller's next turn (MAX_PARSING_PER_CALLER) before being parsed. */
  readonly callerQueued: Counter;
  /** Session mode: sessions `started`, `refreshed`, `ended` (a refresh refused by AWS), `signed_out`, `signed_out_everywhere`. */
  readonly sessions: Counter<"event">;
}

export function createGatewayMetrics(options: { collectDefaults?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.collectDefaults ?? true) collectDefaultMetrics({ register: registry, prefix: "idc_gateway_" });
  const registers = [registry];
  return {
    registry,
    graphqlRequests: new Counter({ name: "idc_gateway_graphql_requests_total", help: "GraphQL operations by operation and outcome.", labelNames: ["operation", "outcome"], registers }),
    graphqlDuration: new Histogram({
      name: "idc_gateway_graphql_duration_seconds",
      help: "GraphQL operation latency.",
      labelNames: ["operation"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    upstreamCalls: new Counter({ name: "idc_gateway_upstream_calls_total", help: "CreateTokenWithIAM calls by grant and outcome.", labelNames: ["grant", "outcome"], registers }),
    upstreamDuration: new Histogram({
      name: "idc_gateway_upstream_duration_seconds",
      help: "CreateTokenWithIAM latency as seen by the gateway (all attempts).",
      labelNames: ["grant"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    cacheLookups: new Counter({ name: "idc_gateway_cache_lookups_total", help: "Response cache lookups by result.", labelNames: ["result"], registers }),
    singleFlight: new Counter({ name: "idc_gateway_single_flight_total", help: "Single-flight participation by role.", labelNames: ["role"], registers }),
    rejections: new Counter({ name: "idc_gateway_rejections_total", help: "Requests refused before execution, by reason.", labelNames: ["reason"], registers }),
    storeFailures: new Counter({ name: "idc_gateway_store_failures_total", help: "Store operations that failed (served from process memory or skipped), by cause.", labelNames: ["cause"], registers }),
    refreshReuse: new Counter({ name: "idc_gateway_refresh_reuse_total", help: "Refresh-token reuse: families revoked (reuse), tokens of revoked families refused (revoked), rotated tokens refused after their grace window (rotated).", labelNames: ["outcome"], registers }),
    singleUseLate: new Counter({ name: "idc_gateway_single_use_late_total", help: "Single-use exchanges past UPSTREAM_DEADLINE_MS, by grant and outcome.", labelNames: ["grant", "outcome"], registers }),
    stsCalls: new Counter({ name: "idc_gateway_sts_calls_total", help: "STS AssumeRole calls for identity-enhanced credentials, by outcome.", labelNames: ["outcome"], registers }),
    credentialsLookups: new Counter({
      name: "idc_gateway_credentials_lookups_total", help: "Identity-enhanced credentials requests by how they were answered: hit (cache), follower (joined one in flight), miss (STS called), refused (a final STS refusal remembered for the same request).", labelNames: ["result"], registers,
    }),
    callerQueued: new Counter({
      name: "idc_gateway_caller_queued_requests_total", help: "Request bodies that waited for their caller's next turn of the event loop before being parsed (MAX_PARSING_PER_CALLER per turn).", registers,
    }),
    sessions: new Counter({ name: "idc_gateway_sessions_total", help: "Session mode: sessions started, refreshed, ended by AWS refusing their refresh token, signed out, signed out everywhere, displaced by a later sign-in of their user past SESSION_MAX_PER_USER.", labelNames: ["event"], registers }),
    persistedQueryRegistrations: new Counter({
      name: "idc_gateway_persisted_query_registrations_total", help: "Persisted-query registrations by outcome (executed either way).", labelNames: ["outcome"], registers,
    }),
  };
}
