import { GatewayError } from "../errors/error-codes.js";
import type { Logger } from "../logging/logger.js";
import type { FoundSession } from "./rotation-saving.js";
import { newSessionId } from "./session-id.js";
import type { LiveSessionRecord } from "./session-record.js";
import type { SessionStore } from "./session-store.js";
import type { SessionUser, UserSessionSlots } from "./user-session-slots.js";

export interface SlotPlacement {
  /**
   * Writes a new session of `user` holding one of its slots (SESSION_MAX_PER_USER), ending the session
   * it displaces first, as a sign-out would (its identity context forgotten). A sign-in of the same user
   * may take the slot before the session is written (more at once than the limit); the session then
   * claims again, once, under a new id, and only then is removed (RATE_LIMITED): a session its lookup
   * would end leaves nothing behind. Answers the session as written.
   */
  storeInSlot(found: FoundSession, user: SessionUser, ttlMs: number): Promise<FoundSession>;
}

/** How a new session takes its user's slot (session-service.ts's sign-in; the slots themselves: user-session-slots.ts). */
export function createSlotPlacement(deps: {
  slots: UserSessionSlots;
  sessions: Pick<SessionStore, "remove">;
  /** Writes a live session (its record and idle clock). */
  store(found: FoundSession): Promise<void>;
  /** The live session an id leads to, as a request would find it. */
  find(id: string): Promise<FoundSession | undefined>;
  /** Ends the session an id leads to, as a sign-out would; the session, when there was one. */
  end(id: string): Promise<FoundSession | undefined>;
  logger: Logger;
  displaced(): void;
}): SlotPlacement {
  const { slots, sessions, store, find, end, logger } = deps;
  const tooManySignInsAtOnce = () =>
    new GatewayError("RATE_LIMITED", `More sign-ins of this user at once than SESSION_MAX_PER_USER=${slots.limit} allows; retry.`, { retryAfterSeconds: 1 });

  async function claimSlot(user: SessionUser, sessionId: string, signedInAt: number, ttlMs: number): Promise<NonNullable<LiveSessionRecord["slot"]>> {
    const lineage = newSessionId();
    const index = await slots.claim(user, { lineage, signedInAt }, sessionId, ttlMs, {
      isLive: async (id) => (await find(id)) !== undefined,
      displace: async (id) => {
        if ((await end(id)) !== undefined) {
          logger.info({ clientId: user.clientId, limit: slots.limit }, "session ended: its user signed in past SESSION_MAX_PER_USER");
          deps.displaced();
        }
      },
    });
    if (index === undefined) throw tooManySignInsAtOnce();
    return { index, lineage };
  }

  return {
    async storeInSlot(found, user, ttlMs) {
      for (let attempt = 0; attempt < 2; attempt++) {
        // A new id each time: the sign-in that took the slot ended (and marked) the one before.
        const id = attempt === 0 ? found.id : newSessionId();
        const slot = await claimSlot(user, id, found.record.signedInAt, ttlMs);
        const placed = { ...found, id, record: { ...found.record, slot } };
        await store(placed);
        if (await slots.holds(user, slot.index, slot.lineage)) return placed;
        await Promise.all([sessions.remove(id), slots.abandon(slot.lineage)]);
      }
      throw tooManySignInsAtOnce();
    },
  };
}
