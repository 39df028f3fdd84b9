import { GatewayError } from "../errors/error-codes.js";
import type { IssuedToken } from "../tokens/token.types.js";
import { recordTtlMs, type LiveSessionRecord } from "./session-record.js";
import type { SessionStore, StoredSession } from "./session-store.js";
import type { UserSessionSlots } from "./user-session-slots.js";

/** A live session as a lookup found it (or a rotation made it). */
export interface FoundSession {
  id: string;
  record: LiveSessionRecord;
  seenAt: number;
  /** As read from the store (absent for a session this request made): what a renewal extends. */
  stored?: StoredSession;
}

export const unauthenticated = () => new GatewayError("UNAUTHENTICATED", "There is no live session (it ended, expired, or this request carries no session cookie): sign in again.");

export interface RotationSaving {
  /**
   * Writes a rotation: the new session, then the old id's forwarding note for `forwardMs` (none: the old
   * id goes). UNAUTHENTICATED, undone, when a sign-out marked the old id while the refresh ran.
   */
  saveRotation(oldId: string, successor: FoundSession, forwardMs: number): Promise<void>;
  /**
   * Saves a rotation the store failed to take at the time, minutes later perhaps: only while the old
   * id still holds the live session (a sign-out removes it; its mark on the id lasts only minutes, and
   * an attacker review brought a signed-out session back by saving after the mark had expired). The
   * old id forwards for the new session's idle timeout: the browser still holds only the old cookie.
   */
  saveLateRotation(oldId: string, successor: FoundSession): Promise<void>;
}

/** How a session refresh's result is written (session-service.ts decides when). */
export function createRotationSaving(deps: {
  sessions: SessionStore;
  slots: UserSessionSlots | undefined;
  rotationGraceMs: number;
  idleMs: number;
  now: () => number;
  /** Writes a live session (its record and idle clock). */
  store(found: FoundSession): Promise<void>;
  forgetIdentityContext(token: IssuedToken): Promise<void>;
}): RotationSaving {
  const { sessions, now, forgetIdentityContext } = deps;

  /** Whether the record's user signed out everywhere at or after its sign-in. */
  async function signedOutEverywhereSince(record: LiveSessionRecord): Promise<boolean> {
    if (record.subject === null) return false;
    const at = await sessions.signedOutEverywhereAt(record.token.clientId, record.subject);
    return at !== undefined && at >= record.signedInAt;
  }

  async function saveRotation(oldId: string, successor: FoundSession, forwardMs: number): Promise<void> {
    // The new session exists before the old id forwards to it: no moment where neither leads anywhere.
    await deps.store(successor);
    if (forwardMs > 0) {
      await sessions.forward(oldId, { state: "rotated", successorId: successor.id, forwardUntil: now() + forwardMs }, forwardMs);
    } else {
      await sessions.remove(oldId);
    }
    // The sign-in leads to the new id: a sign-in displacing this session ends it under the id it now has.
    const { record } = successor;
    if (record.slot !== undefined) await deps.slots?.pointTo(record.slot.lineage, successor.id, record.absoluteExpiresAt - now());
    // Read after the writes above: a sign-out that marked the old id while the refresh ran is not undone by it,
    // nor a sign-out everywhere (a review got credentials from the refreshed tokens' identity context after one).
    if ((await sessions.wasEnded(oldId)) || (await signedOutEverywhereSince(record))) {
      // The sign-out forgot the old tokens' identity context; the refresh recorded the new tokens' one since.
      // The sign-out released the slot and removed the sign-in's id key before this rotation wrote it again: it goes too.
      await Promise.all([
        sessions.remove(successor.id), sessions.remove(oldId), forgetIdentityContext(record.token), record.slot === undefined ? undefined : deps.slots?.abandon(record.slot.lineage),
      ]);
      throw unauthenticated();
    }
  }

  return {
    saveRotation,
    async saveLateRotation(oldId, successor) {
      const old = await sessions.read(oldId);
      if (old?.record.state !== "live") {
        // Ended meanwhile (gone: a sign-out or its timeout): the new tokens' identity context goes with it, the outage
        // may have recorded it after the sign-out forgot it. Rotated by another replica instead: that session holds the context.
        if (old === undefined) await forgetIdentityContext(successor.record.token);
        throw unauthenticated();
      }
      await saveRotation(oldId, successor, Math.max(deps.rotationGraceMs, recordTtlMs(successor.record, now(), deps.idleMs)));
    },
  };
}
