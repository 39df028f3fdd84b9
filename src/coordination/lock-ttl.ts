/** Slack over the upstream's worst case (retry back-off) before a lock is considered abandoned. */
const LOCK_SLACK_MS = 1_000;

/** The upstream settings that bound one call's worst case (config.types.ts's GatewayConfig fields). */
export interface UpstreamCallLimits {
  upstreamTimeoutMs: number;
  upstreamConnectTimeoutMs: number;
  upstreamMaxAttempts: number;
}

/**
 * A flight lock's TTL: its upstream call's worst case (every attempt timing out), plus slack. A live
 * leader extends it while it works (single-flight's heartbeat, up to twice this), so its store
 * writes never let a second leader start; a leader that died lets a follower take over after it.
 */
export function singleFlightLockTtlMs(config: UpstreamCallLimits): number {
  return config.upstreamMaxAttempts * (config.upstreamTimeoutMs + config.upstreamConnectTimeoutMs) + LOCK_SLACK_MS;
}

/** The slack, for locks that must also outlast a longer wait (single-use grants). */
export const FLIGHT_LOCK_SLACK_MS = LOCK_SLACK_MS;
