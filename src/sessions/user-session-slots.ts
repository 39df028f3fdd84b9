import type { Keyspace } from "../store/keyspace.js";
import type { Store } from "../store/store.types.js";

/** Whose sessions share the slots: one user of one application. */
export interface SessionUser {
  clientId: string;
  subject: string;
}

/** What a slot holds: the sign-in (its lineage, kept across refreshes), its session's current id, and when it signed in. */
export interface SlotHolder {
  lineage: string;
  sessionId: string;
  signedInAt: number;
}

export interface UserSessionSlots {
  /** SESSION_MAX_PER_USER: the slots each user has. */
  readonly limit: number;
  /**
   * Takes a slot for a new sign-in: a free one, else the one held by a session that is over, else the
   * oldest sign-in's. `displace` runs for the session the slot held (to end it) before the slot is
   * taken over. Returns the slot's number.
   */
  claim(user: SessionUser, holder: SlotHolder, ttlMs: number, deps: { isLive(sessionId: string): Promise<boolean>; displace(sessionId: string): Promise<void> }): Promise<number>;
  /** True when `slot` still holds the sign-in `lineage` (a later sign-in did not displace it). */
  holds(user: SessionUser, slot: number, lineage: string): Promise<boolean>;
  /** After a refresh rotated the session's id: the slot leads to the new id (when it still holds the sign-in). */
  moved(user: SessionUser, slot: number, holder: SlotHolder, ttlMs: number): Promise<void>;
}

/**
 * At most `limit` live sessions per user (SESSION_MAX_PER_USER): a sign-in past it ends the user's
 * oldest session. Without it, one caller replaying one sign-in (a JWT-bearer assertion is a cache hit:
 * one unit of its upstream budget) made sessions without end: without Redis they pushed every other
 * user's idle session out of the sessions' LRU (an attacker's review: ~40 minutes of one caller's
 * allowance, ~4 of ten callers'), and on Redis they filled its memory.
 *
 * Slots, not a list under one key: each slot is one key taken with setIfAbsent, so two sign-ins of one
 * user on two replicas never lose each other's entry (a read-modify-write list would, and a session
 * missing from it escapes the limit), and no multi-key operation is needed on a Cluster. A slot holds
 * the sign-in's lineage, which a refresh keeps: the session checks it on every lookup, so a displaced
 * session is over even when the race below leaves its record behind. Values are sealed (they hold
 * session ids); keys are HMACs of the user.
 */
export function createUserSessionSlots(deps: { store: Store; keyspace: Keyspace; limit: number }): UserSessionSlots {
  const { store, keyspace, limit } = getValidDeps(deps);
  const slotKey = (user: SessionUser, slot: number) => keyspace.key("session-slot", user.clientId, user.subject, String(slot));
  const seal = (key: string, holder: SlotHolder) => keyspace.seal(key, Buffer.from(JSON.stringify(holder), "utf8"));
  const open = (key: string, bytes: Buffer | null): SlotHolder | undefined => {
    if (bytes === null) return undefined;
    try {
      const value = JSON.parse(keyspace.open(key, bytes).toString("utf8")) as Partial<SlotHolder> | null;
      if (typeof value?.lineage === "string" && typeof value.sessionId === "string" && typeof value.signedInAt === "number") {
        return { lineage: value.lineage, sessionId: value.sessionId, signedInAt: value.signedInAt };
      }
    } catch {
      // Sealed under another GATEWAY_SECRET or altered: it holds no session this gateway can use.
    }
    return undefined;
  };
  const ttl = (ttlMs: number) => Math.max(1, Math.floor(ttlMs));

  return {
    limit,
    async claim(user, holder, ttlMs, { isLive, displace }) {
      const keys = Array.from({ length: limit }, (_, slot) => slotKey(user, slot));
      const held = await Promise.all(keys.map((key) => store.get(key)));
      for (let slot = 0; slot < limit; slot++) {
        if (held[slot] === null && (await store.setIfAbsent(keys[slot]!, seal(keys[slot]!, holder), ttl(ttlMs)))) return slot;
      }
      // Every slot is taken (or was taken under this sign-in by another): the one to take over is an unreadable
      // slot's, else a session that is over (signed out elsewhere, idle past its timeout), else the oldest sign-in's.
      const holders = held.map((bytes, slot) => open(keys[slot]!, bytes));
      const live = await Promise.all(holders.map((h) => (h === undefined ? false : isLive(h.sessionId))));
      const order = holders
        .map((h, slot) => ({ slot, rank: h === undefined ? 0 : live[slot] ? 2 : 1, signedInAt: h?.signedInAt ?? 0 }))
        .sort((a, b) => a.rank - b.rank || a.signedInAt - b.signedInAt);
      const victim = order[0]!;
      const displaced = holders[victim.slot];
      // Ended before its slot goes: ending it looks the session up, and a session whose slot is taken is no longer found.
      if (displaced !== undefined && live[victim.slot]) await displace(displaced.sessionId);
      // A plain write: a sign-in that took this slot since it was read is displaced in turn (its lookups find the slot
      // taken), which keeps the limit; its record then waits for its idle timeout, as any abandoned session's does.
      await store.set(keys[victim.slot]!, seal(keys[victim.slot]!, holder), ttl(ttlMs));
      return victim.slot;
    },

    async holds(user, slot, lineage) {
      const key = slotKey(user, slot);
      return open(key, await store.get(key))?.lineage === lineage;
    },

    async moved(user, slot, holder, ttlMs) {
      const key = slotKey(user, slot);
      if (open(key, await store.get(key))?.lineage !== holder.lineage) return;
      // A plain write, not delete-then-add: between those two a lookup of this very session would find its slot
      // empty and end it. A sign-in taking the slot between the read and the write loses it to this session.
      await store.set(key, seal(key, holder), ttl(ttlMs));
    },
  };
}

function getValidDeps(deps: { store: Store; keyspace: Keyspace; limit: number }) {
  if (!Number.isInteger(deps.limit) || deps.limit < 1 || deps.limit > 1000) {
    throw new TypeError(`createUserSessionSlots: limit must be an integer from 1 to 1000 (SESSION_MAX_PER_USER) (got ${String(deps.limit)})`);
  }
  return deps;
}
