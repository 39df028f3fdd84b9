import type { ReadinessCheck, ReadinessReport } from "./readiness.route.js";
import { createRateBoundedSnapshot } from "./rate-bounded-snapshot.js";

/**
 * Store health probes /readyz may cause per second. Each is a Redis write; /readyz has no caller
 * limit (a load balancer's checks come from the addresses all its traffic comes from), so without a
 * bound anyone could make every replica write to the shared Redis as fast as it asks (measured:
 * 6,000 writes a second from one caller on 16 connections). Past the bound, the last probe's answer.
 */
export const STORE_HEALTH_PROBES_PER_SECOND = 5;

/** The parts /readyz asks, by their own health reports (structural: server/ imports neither). */
export interface ReadinessSources {
  /**
   * The upstream: its circuit breaker (open while AWS fails; we fail fast) and the gateway's own AWS
   * credentials ("missing" or "rejected": an operator must act). Absent: assumed ok.
   */
  upstream?: { health(): { ok: boolean; detail: string; credentials?: "ok" | "missing" | "rejected" } };
  /** The store: ok when up or degraded (serving from process memory while Redis is down). */
  store: { health(): Promise<{ ok: boolean; status: string; detail: string }> };
  /**
   * Session mode's own store (SESSION_MODE=cookie). Its failure degrades the replica rather than
   * taking it out of rotation: with one Redis down every replica would fail at once (Kubernetes
   * then routes to none), while tokens still serve from process memory and session operations
   * answer SESSION_STORE_UNAVAILABLE, retryable. Absent: session mode off.
   */
  sessions?: { health(): Promise<{ ok: boolean; status: string; detail: string }> };
  /**
   * STS's circuit breaker (identity-enhanced credentials on): open while STS fails. Degrades the
   * replica like Identity Center's circuit: every replica shares STS. Absent: credentials off.
   */
  sts?: { health(): { ok: boolean; detail: string } };
}

/**
 * Builds the `readiness` dependency of createGatewayServer: cheap checks only (no upstream call:
 * AWS's quota is for tokens, not probes; at most STORE_HEALTH_PROBES_PER_SECOND store probes).
 * Not ready when this replica cannot serve because of itself: its own AWS credentials missing or
 * rejected, or a store that cannot serve at all. Degraded (still 200) when a dependency every
 * replica shares fails: the store serving from process memory (Redis unreachable or refusing
 * writes), the sessions' store not answering, or a circuit open (Identity Center or STS failing). Taken
 * out of rotation for those, every replica would leave at once (behind Kubernetes: no endpoint at
 * all), and cache hits, grace answers and sessions would stop with the exchanges.
 */
export function createReadinessCheck(sources: ReadinessSources): ReadinessCheck {
  if (typeof sources?.store?.health !== "function") throw new TypeError("createReadinessCheck: sources.store must have health(): Promise<StoreHealth>");
  const storeHealth = createRateBoundedSnapshot(() => sources.store.health(), { maxPerSecond: STORE_HEALTH_PROBES_PER_SECOND });
  const { sessions } = sources;
  const sessionsHealth = sessions && createRateBoundedSnapshot(() => sessions.health(), { maxPerSecond: STORE_HEALTH_PROBES_PER_SECOND });
  return async (): Promise<ReadinessReport> => {
    // The circuit breaker's state costs nothing to read: always current.
    const upstream = sources.upstream?.health() ?? { ok: true, detail: "no circuit breaker: assumed reachable" };
    const [store, sessionStore] = await Promise.all([storeHealth.get(), sessionsHealth?.get()]);
    const sts = sources.sts?.health();
    const checks = {
      upstream: { ok: upstream.ok, detail: upstream.detail },
      store: { ok: store.ok, detail: store.detail },
      ...(sessionStore ? { sessions: { ok: sessionStore.ok, detail: sessionStore.detail } } : {}),
      ...(sts ? { sts: { ok: sts.ok, detail: sts.detail } } : {}),
    };
    // Only the circuit is open when the credentials are ok (or unknown to a source that reports none: then not ready, as before).
    const upstreamReady = upstream.ok || upstream.credentials === "ok";
    return {
      ready: upstreamReady && store.ok,
      degraded: !upstream.ok || store.status === "degraded" || (sessionStore !== undefined && !sessionStore.ok) || (sts !== undefined && !sts.ok),
      checks,
    };
  };
}
