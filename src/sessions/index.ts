import type { GatewayConfig } from "../config/config.types.js";
import { createLocalSingleFlight } from "../coordination/local-single-flight.js";
import { singleFlightLockTtlMs } from "../coordination/lock-ttl.js";
import { createSingleFlight } from "../coordination/single-flight.js";
import type { Logger } from "../logging/logger.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { createKeyspace } from "../store/keyspace.js";
import { createMemoryStore } from "../store/memory-store.js";
import type { Store } from "../store/store.types.js";
import { createSessionBackingStore } from "./session-backing-store.js";
import { createSessionService, type SessionServiceDeps } from "./session-service.js";
import { createSessionStore } from "./session-store.js";
import type { CallerNetworkTier } from "../ratelimit/rate-limit.types.js";
import { createSessionsWithoutSubject } from "./sessions-without-subject.js";
import { createUserSessionSlots } from "./user-session-slots.js";
import type { SessionService } from "./session.types.js";

export { createSessionService, type SessionServiceDeps } from "./session-service.js";
export { createSessionStore, type SessionStore } from "./session-store.js";
export { isSessionId, newSessionId } from "./session-id.js";
export type * from "./session.types.js";

/**
 * Sign-outs' marks kept in one process, apart from the sessions: a sign-out marks its id before it
 * looks the session up (session-service.ts, end), so a made-up cookie writes a mark too, and in the
 * sessions' own LRU each such mark pushed out the least recently used live session (an attacker's
 * review: every session idle for ~7 minutes signed out by one caller at its request allowance).
 * A mark matters for a few minutes (a rotation in flight); the oldest leave first. ~12,000 marks.
 */
const SESSION_ENDED_MARK_LIMITS = { maxEntries: 12_000, maxBytes: 4 * 1024 * 1024 } as const;

/** REFRESH_GRACE_SECONDS' documented default, for configs built without loadConfig. */
const DEFAULT_ROTATION_GRACE_SECONDS = 30;

/**
 * The session service SESSION_MODE=cookie asks for, on a store of its own (session-backing-store.ts:
 * Redis shares sessions across replicas); undefined when session mode is off. `store` replaces that
 * store (tests). Its owner closes the store it returns.
 */
export function createCookieSessions(deps: {
  config: GatewayConfig; logger: Logger; metrics?: Pick<GatewayMetrics, "sessions">; store?: Store; signInBudget?: { consume(address: string): Promise<void> } | undefined;
  identityContexts?: SessionServiceDeps["identityContexts"];
  /** IPv6 networks' share of the per-caller session bound (server/caller-networks.ts); unset: none. */
  callerNetworks?: CallerNetworkTier | undefined;
}): { service: SessionService; store: Store } | undefined {
  const { config, logger, metrics } = deps;
  const sessions = config.sessions;
  if (sessions?.mode !== "cookie") return undefined;
  const store = deps.store ?? createSessionBackingStore(config, logger);
  const keyspace = createKeyspace({ secret: config.gatewaySecret });
  // A rotation waits for its token refresh, which may itself wait for another replica's refresh flight: twice that flight's lock.
  const lockTtlMs = 2 * singleFlightLockTtlMs(config);
  const flights = store.kind === "memory"
    ? createLocalSingleFlight()
    : createSingleFlight({ store, keyspace, lockTtlMs, waitTimeoutMs: 2 * lockTtlMs, logger });
  const service = createSessionService({
    config: sessions,
    rotationGraceMs: (config.coordination?.refreshGraceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS) * 1000,
    // A rotation outlasting its flight's longest hold and wait (twice the lock each) is not running any more.
    maxRotationMs: 4 * lockTtlMs,
    sessions: createSessionStore({ store, keyspace, ...(store.kind === "memory" ? { endedMarks: createMemoryStore(SESSION_ENDED_MARK_LIMITS) } : {}) }),
    flights,
    logger,
    metrics,
    signInBudget: deps.signInBudget,
    identityContexts: deps.identityContexts,
    // Built without loadConfig (tests), a config may leave the limits out: then none applies.
    slots: sessions.maxPerUser > 0 ? createUserSessionSlots({ store, keyspace, limit: sessions.maxPerUser }) : undefined,
    withoutSubject: sessions.maxWithoutIdTokenPerCaller > 0
      ? createSessionsWithoutSubject({ store, keyspace, limit: sessions.maxWithoutIdTokenPerCaller, windowMs: sessions.absoluteLifetimeMs, networks: deps.callerNetworks })
      : undefined,
  });
  return { service, store };
}
