import { createLocalSingleFlight } from "../../../src/coordination/local-single-flight.js";
import { createLogger } from "../../../src/logging/logger.js";
import { createSessionService, createSessionStore } from "../../../src/sessions/index.js";
import { createUserSessionSlots } from "../../../src/sessions/user-session-slots.js";
import type { Keyspace, Store } from "../../../src/store/index.js";

/**
 * A session service with SESSION_MAX_PER_USER=`limit` on `store` (a memory store the test hooks), the
 * identity contexts it forgets listed in `forgotten`, and its "displaced" count (the slot race tests).
 */
export function slotSessionService(store: Store, keyspace: Keyspace, limit: number) {
  const forgotten: string[] = [];
  const counts = { displaced: 0 };
  const service = createSessionService({
    config: { idleTimeoutMs: 600_000, absoluteLifetimeMs: 3_600_000 },
    rotationGraceMs: 30_000,
    sessions: createSessionStore({ store, keyspace }),
    flights: createLocalSingleFlight(),
    logger: createLogger({ level: "silent" }),
    metrics: { sessions: { inc: ({ event }: { event: string }) => void (event === "displaced" && counts.displaced++) } } as never,
    slots: createUserSessionSlots({ store, keyspace, limit }),
    identityContexts: { forget: async (context) => void forgotten.push(context), forgetUser: async () => undefined },
  });
  return { service, forgotten, counts };
}
