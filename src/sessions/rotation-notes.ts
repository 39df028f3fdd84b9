import type { FoundSession } from "./rotation-saving.js";
import type { LiveSessionRecord } from "./session-record.js";
import type { SessionStore } from "./session-store.js";

/** Sessions whose first use by their own id one process remembers (emptied when full: at worst one more read each). */
const MAX_CONFIRMED_ROTATIONS = 10_000;

export interface RotationNotes {
  /**
   * A request carrying a refreshed session's own id: the browser has the new cookie, so the old id
   * forwards only for the grace window from now (other tabs, requests in flight), no longer until the
   * new session's idle timeout. Once per session and process; a note already short is left alone.
   */
  confirmRotation(requestId: string, found: FoundSession): Promise<void>;
  /**
   * Removes the note the refresh that made this session left under the old id, when it still leads
   * here: it is kept until the new id's first use (up to the idle timeout), so a session ending before
   * that takes it along (a review left one per sign-in, refresh and sign-out for an hour, and filled the
   * memory LRU).
   */
  removeNoteLeadingTo(id: string, record: LiveSessionRecord): Promise<void>;
  /** Removes a live session that is over, with the note that still leads to it. */
  removeSession(id: string, record: LiveSessionRecord): Promise<void>;
}

/**
 * The forwarding note a session refresh leaves under the old id (rotation-saving.ts writes it): how
 * long it lasts once the browser has the new id, and its removal with the session it leads to.
 */
export function createRotationNotes(deps: { sessions: SessionStore; rotationGraceMs: number; idleMs: number; now: () => number }): RotationNotes {
  const { sessions, rotationGraceMs, idleMs, now } = deps;
  const confirmedRotations = new Set<string>();

  async function removeNoteLeadingTo(id: string, record: LiveSessionRecord): Promise<void> {
    const from = record.rotatedFrom;
    if (from === undefined) return;
    const old = await sessions.read(from.id);
    if (old?.record.state === "rotated" && old.record.successorId === id) await sessions.remove(from.id);
  }

  return {
    async confirmRotation(requestId, found) {
      const from = found.record.rotatedFrom;
      const at = now();
      if (found.id !== requestId || from === undefined || rotationGraceMs === 0 || at - from.at >= idleMs || confirmedRotations.has(found.id)) return;
      if (confirmedRotations.size >= MAX_CONFIRMED_ROTATIONS) confirmedRotations.clear();
      confirmedRotations.add(found.id);
      const old = (await sessions.read(from.id))?.record;
      if (old?.state === "rotated" && old.successorId === found.id && old.forwardUntil > at + rotationGraceMs) {
        await sessions.forward(from.id, { ...old, forwardUntil: at + rotationGraceMs }, rotationGraceMs);
      }
    },
    removeNoteLeadingTo,
    async removeSession(id, record) {
      await Promise.all([sessions.remove(id), removeNoteLeadingTo(id, record)]);
    },
  };
}
