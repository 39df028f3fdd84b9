import { GatewayError } from "../errors/error-codes.js";
import type { Keyspace } from "../store/keyspace.js";
import type { Store } from "../store/store.types.js";

export interface SessionsWithoutSubject {
  /** RATE_LIMITED when the caller has started its allowance of sessions without an ID token in this window; runs before the exchange. */
  check(address: string): Promise<void>;
  /** Counts a session without an ID token that the caller started. */
  count(address: string): Promise<void>;
}

/**
 * A session without an ID token (no `openid` scope) has no user to count it against
 * (user-session-slots.ts), and the caller chooses the scope: without this, a caller leaving out
 * `openid` made sessions as fast as its upstream budget let it, as before the per-user limit. They
 * are counted per caller address instead, over one idle timeout (what a session nobody uses lives):
 * past SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER the caller's next sign-in is refused before its
 * exchange runs, so no grant is spent on it. A refusal, not eviction: callers behind one address
 * (a NAT) are told why, instead of signing each other out in silence.
 */
export function createSessionsWithoutSubject(deps: { store: Store; keyspace: Keyspace; limit: number; windowMs: number }): SessionsWithoutSubject {
  const { store, keyspace, limit, windowMs } = deps;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`createSessionsWithoutSubject: limit must be an integer >= 1 (got ${String(limit)})`);
  const counterKey = (address: string) => keyspace.key("session-caller", address);
  return {
    async check(address) {
      const value = await store.get(counterKey(address));
      const started = value === null ? 0 : Number.parseInt(value.toString("latin1"), 10);
      if (started >= limit) {
        const windowSeconds = Math.ceil(windowMs / 1000);
        throw new GatewayError(
          "RATE_LIMITED",
          `This caller started SESSION_MAX_WITHOUT_ID_TOKEN_PER_CALLER=${limit} sessions without an ID token within SESSION_IDLE_TIMEOUT_SECONDS=${windowSeconds}; request the openid scope, or retry later.`,
          { retryAfterSeconds: windowSeconds },
        );
      }
    },
    async count(address) {
      await store.increment(counterKey(address), Math.max(1, windowMs));
    },
  };
}
