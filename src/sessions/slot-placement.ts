import type { Logger } from "../logging/logger.js";
import type { IssuedToken } from "../tokens/token.types.js";
import type { FoundSession } from "./rotation-saving.js";
import { newSessionId } from "./session-id.js";
import { saveWithRetries } from "./sign-in-save-retries.js";
import type { SeizeDeps, SessionUser, UserSessionSlots } from "./user-session-slots.js";

export interface SlotPlacement {
  /**
   * Writes a new session of `user` holding one of its slots (SESSION_MAX_PER_USER), ending the session
   * it displaces, as a sign-out would (its identity context forgotten). The session is written before
   * each try to take a slot: the moment it takes one it is live, and a later sign-in that takes the slot
   * over finds it and ends it. When sign-ins of the same user take every slot it tries (more at once
   * than the limit), it seizes one: the exchange has spent the caller's grant, so the sign-in is
   * answered, and the last of the user's sign-ins at once wins, as a sign-in past the limit displaces
   * the oldest. Answers the session as written; it held its slot then.
   */
  storeInSlot(found: FoundSession, user: SessionUser, ttlMs: number): Promise<FoundSession>;
}

/** How a new session takes its user's slot (session-service.ts's sign-in; the slots themselves: user-session-slots.ts). */
export function createSlotPlacement(deps: {
  slots: UserSessionSlots;
  /** Writes a live session (its record and idle clock). */
  store(found: FoundSession): Promise<void>;
  /** Removes a session's record and idle clock (one never answered). */
  remove(id: string): Promise<void>;
  /** The live session an id leads to, as a request would find it. */
  find(id: string): Promise<FoundSession | undefined>;
  /**
   * Ends the session an id leads to, as a sign-out would (`slotTaken`: though its slot was taken), its identity context
   * kept when it is `keepFor`'s (the new session holds it too); the session, when there was one.
   */
  end(id: string, slotTaken: boolean, keepFor: IssuedToken): Promise<FoundSession | undefined>;
  logger: Logger;
  displaced(): void;
}): SlotPlacement {
  const { slots, store, find, end, remove, logger } = deps;

  return {
    async storeInSlot(found, user, ttlMs) {
      // One holder for every try: a try that took a slot before the store failed left it holding this lineage,
      // which the next try takes back (claim, seize) instead of taking, or taking over, another (a review: one
      // more session of the user ended for each failed try, and the left slot later ended this one).
      const holder = { lineage: newSessionId(), signedInAt: found.record.signedInAt };
      // Sessions this sign-in displaced whose ending the store failed: ended again by the next try.
      const toEnd = new Set<string>();
      const placedIn = (index: number): FoundSession => ({ ...found, record: { ...found.record, slot: { index, lineage: holder.lineage } } });
      const claimDeps: SeizeDeps = {
        // A slot an earlier try of this same sign-in took leads to this session: not another session to look up or
        // end, which would remove the record this try just wrote.
        isLive: async (id) => id !== found.id && (await find(id)) !== undefined,
        displace: async (id) => {
          if (id === found.id) return;
          toEnd.add(id);
          if ((await end(id, true, found.record.token)) !== undefined) {
            logger.info({ clientId: user.clientId, limit: slots.limit }, "session ended: its user signed in past SESSION_MAX_PER_USER");
            deps.displaced();
          }
          toEnd.delete(id);
        },
        write: (index) => store(placedIn(index)),
      };
      const placeOnce = async (): Promise<FoundSession> => {
        for (const id of [...toEnd]) await claimDeps.displace(id);
        let index = await slots.claim(user, holder, found.id, ttlMs, claimDeps);
        if (index === undefined) {
          index = await slots.seize(user, holder, found.id, ttlMs, claimDeps);
          logger.info({ clientId: user.clientId, limit: slots.limit }, "sign-in seized a session slot: more sign-ins of its user at once than SESSION_MAX_PER_USER");
        }
        return placedIn(index);
      };
      try {
        // Tried again for a few seconds while the store fails: the exchange has spent the caller's grant.
        return await saveWithRetries(placeOnce);
      } catch (error) {
        // The store failed mid-placement: the caller is answered the error, never this session's id, so its
        // record (written before each try) and its sign-in's id key go now, not at their timeouts (a review
        // found each such failure left a record nobody could use for the idle timeout). Best effort: the
        // store may still be failing.
        await Promise.all([remove(found.id), slots.abandon(holder.lineage)]).catch(() => undefined);
        throw error;
      }
    },
  };
}
