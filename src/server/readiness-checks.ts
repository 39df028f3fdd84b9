import type { ReadinessCheck, ReadinessReport } from "./readiness.route.js";

/** The parts /readyz asks, by their own health reports (structural: server/ imports neither). */
export interface ReadinessSources {
  /** The upstream's circuit breaker: not ok while open (AWS failing; we fail fast). Absent: assumed ok. */
  upstream?: { health(): { ok: boolean; detail: string } };
  /** The store: ok when up or degraded (serving from process memory while Redis is down). */
  store: { health(): Promise<{ ok: boolean; status: string; detail: string }> };
}

/**
 * Builds the `readiness` dependency of createGatewayServer: cheap checks only (no upstream call:
 * AWS's quota is for tokens, not probes). Ready when every check is ok; degraded when the store
 * serves from process memory (Redis unreachable or refusing writes).
 */
export function createReadinessCheck(sources: ReadinessSources): ReadinessCheck {
  if (typeof sources?.store?.health !== "function") throw new TypeError("createReadinessCheck: sources.store must have health(): Promise<StoreHealth>");
  return async (): Promise<ReadinessReport> => {
    const upstream = sources.upstream?.health() ?? { ok: true, detail: "no circuit breaker: assumed reachable" };
    const store = await sources.store.health();
    const checks = {
      upstream: { ok: upstream.ok, detail: upstream.detail },
      store: { ok: store.ok, detail: store.detail },
    };
    return { ready: Object.values(checks).every((check) => check.ok), degraded: store.status === "degraded", checks };
  };
}
