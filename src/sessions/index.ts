import type { GatewayConfig } from "../config/config.types.js";
import { createLocalSingleFlight } from "../coordination/local-single-flight.js";
import { singleFlightLockTtlMs } from "../coordination/lock-ttl.js";
import { createSingleFlight } from "../coordination/single-flight.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { createKeyspace } from "../store/keyspace.js";
import type { Store } from "../store/store.types.js";
import { createSessionService } from "./session-service.js";
import { createSessionStore } from "./session-store.js";
import type { SessionService } from "./session.types.js";

export { createSessionService, type SessionServiceDeps } from "./session-service.js";
export { createSessionStore, type SessionStore } from "./session-store.js";
export { isSessionId, newSessionId } from "./session-id.js";
export type * from "./session.types.js";

/** REFRESH_GRACE_SECONDS' documented default, for configs built without loadConfig. */
const DEFAULT_ROTATION_GRACE_SECONDS = 30;

/**
 * The session service SESSION_MODE=cookie asks for, on the gateway's store (Redis shares sessions
 * across replicas); undefined when session mode is off.
 */
export function createCookieSessions(deps: { config: GatewayConfig; store: Store; logger: Logger; metrics?: Pick<GatewayMetrics, "sessions"> }): SessionService | undefined {
  const { config, store, logger, metrics } = deps;
  const sessions = config.sessions;
  if (sessions?.mode !== "cookie") return undefined;
  const keyspace = createKeyspace({ secret: config.gatewaySecret });
  // A rotation waits for its token refresh, which may itself wait for another replica's refresh flight: twice that flight's lock.
  const lockTtlMs = 2 * singleFlightLockTtlMs(config);
  const flights = store.kind === "memory"
    ? createLocalSingleFlight()
    : createSingleFlight({ store, keyspace, lockTtlMs, waitTimeoutMs: 2 * lockTtlMs, logger });
  return createSessionService({
    config: sessions,
    rotationGraceMs: (config.coordination?.refreshGraceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS) * 1000,
    // A rotation outlasting its flight's longest hold and wait (twice the lock each) is not running any more.
    maxRotationMs: 4 * lockTtlMs,
    sessions: createSessionStore({ store, keyspace }),
    flights,
    logger,
    metrics,
  });
}
