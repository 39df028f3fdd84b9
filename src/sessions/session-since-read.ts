import type { FlightSteps } from "../coordination/single-flight.js";
import { unauthenticated, type FoundSession } from "./rotation-saving.js";
import type { SessionStore } from "./session-store.js";

/**
 * The session a refresh read, read again with its flight's lock (in the lock's round trip: its
 * recheck). The flight may lead only after waiting for another's lock freed with no result (that
 * replica's rotation failed to store, and was saved later from its memory): rotated since, the
 * session's refresh token is spent, and refreshing it again answered INVALID_GRANT, which ended the
 * session, removed the note leading to the new one and cleared the cookie (a review). Rotated: the
 * flight's result is the session it became. Ended: UNAUTHENTICATED, before any refresh.
 */
export function sinceRead(
  found: FoundSession,
  deps: { read: SessionStore["read"]; find: (id: string) => Promise<FoundSession | undefined> },
): { steps: FlightSteps<FoundSession>; unchanged(): Promise<void> } {
  let refusal: unknown;
  return {
    steps: {
      async recheck() {
        // Once per attempt at the lock: what an earlier attempt found no longer decides.
        refusal = undefined;
        try {
          const stored = await deps.read(found.id);
          if (stored !== undefined && found.stored !== undefined && stored.sealed.equals(found.stored.sealed)) return undefined;
          const current = await deps.find(found.id);
          if (current === undefined) refusal = unauthenticated();
          return current;
        } catch (error) {
          // Not read: the store fails, and would fail the rotation's writes after its refresh spent the token.
          refusal = error;
          return undefined;
        }
      },
    },
    unchanged: () => (refusal === undefined ? Promise.resolve() : Promise.reject(refusal)),
  };
}
