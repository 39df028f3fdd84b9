import type { CoordinationConfig, GatewayConfig } from "../config/config.types.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { singleUseAnswerTimeoutMs } from "../upstream/index.js";
import { FLIGHT_LOCK_SLACK_MS, singleFlightLockTtlMs } from "../coordination/lock-ttl.js";

/** The metrics the token service records (a subset of createGatewayMetrics()). */
export type TokenMetrics = Pick<GatewayMetrics, "cacheLookups" | "singleFlight" | "upstreamCalls" | "upstreamDuration">
  & Partial<Pick<GatewayMetrics, "storeFailures" | "refreshReuse" | "singleUseLate">>;

export type ExchangeConfig = Pick<GatewayConfig, "gatewaySecret" | "upstreamTimeoutMs" | "upstreamConnectTimeoutMs" | "upstreamMaxAttempts" | "coordination" | "credentials">
  & Partial<Pick<GatewayConfig, "upstreamDeadlineMs">>;

/** The documented defaults (config-variables.ts), for configs built without loadConfig. */
export const DEFAULT_COORDINATION: CoordinationConfig = {
  refreshGraceSeconds: 30,
  cacheMinTtlSeconds: 300,
  cacheMaxEntries: 10_000,
  cacheMaxBytes: 64 * 1024 * 1024,
  singleFlightWaitMs: undefined,
  redisKeyPrefix: "",
  refreshReuseDetection: true,
  refreshFamilyTtlSeconds: 2_592_000,
};
/** UPSTREAM_DEADLINE_MS's documented default, for configs built without loadConfig. */
export const DEFAULT_DEADLINE_MS = 10_000;

/**
 * A flight's result is handed only to the callers that joined it while it ran (in any replica,
 * within this hand-off time), never replayed once it is done: an authorization code is single-use,
 * and reuse of other grants is decided by the response cache (with its life margin) and the grace
 * window, which each leader re-checks before calling upstream.
 */
export const FLIGHT_HAND_OFF = { reuseFinishedResults: false, resultTtlMs: 2_000 } as const;

/**
 * How long a single-use grant's flight (refresh, authorization code) may hold its lock: until its
 * upstream call settles, however late (singleUseAnswerTimeoutMs), so no retry presents the same
 * grant to AWS while AWS may still be consuming it.
 */
export function singleUseLockTtlMs(config: Parameters<typeof singleFlightLockTtlMs>[0] & { upstreamDeadlineMs: number }): number {
  return Math.max(singleFlightLockTtlMs(config), singleUseAnswerTimeoutMs(config) + FLIGHT_LOCK_SLACK_MS);
}

export { singleFlightLockTtlMs };
