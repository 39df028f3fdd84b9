import type { Keyspace } from "../store/keyspace.js";
import type { Store } from "../store/store.types.js";

/** Whose sessions share the slots: one user of one application. */
export interface SessionUser {
  clientId: string;
  subject: string;
}

/** What a slot holds: the sign-in (its lineage, kept across refreshes) and when it signed in. */
export interface SlotHolder {
  lineage: string;
  signedInAt: number;
}

export interface ClaimDeps {
  /** Whether the session `sessionId` is live (looked up as a request would). */
  isLive(sessionId: string): Promise<boolean>;
  /**
   * Ends the session `sessionId`, as a sign-out would, though its slot no longer leads to it: this
   * sign-in took the slot first (ended after, a session written meanwhile would outlive its slot).
   */
  displace(sessionId: string): Promise<void>;
  /**
   * Writes the new session as holding slot `index`, before each try to take that slot: once taken, the
   * session exists, so a sign-in taking the slot over a moment later finds it to end (a session written
   * after its slot was taken could be displaced before it existed, and outlive its slot).
   */
  write?(index: number): Promise<void>;
}

export type SeizeDeps = ClaimDeps & Required<Pick<ClaimDeps, "write">>;

export interface UserSessionSlots {
  /** SESSION_MAX_PER_USER: the slots each user has. */
  readonly limit: number;
  /**
   * Takes a slot for the new sign-in `holder` of session `sessionId`: a free one, else an unreadable
   * one's, else one whose session is over, else the oldest sign-in's, whose session is then ended.
   * Undefined when sign-ins of the user took every slot it tried, round after round (many at once).
   */
  claim(user: SessionUser, holder: SlotHolder, sessionId: string, ttlMs: number, deps: ClaimDeps): Promise<number | undefined>;
  /**
   * Takes a slot whatever holds it (after claim gave up): a free one, else an unreadable one's, else the
   * oldest sign-in's. The session is written first (deps.write), then the slot replaced in one step
   * (swap), and whatever sign-in it held is ended: several sign-ins seizing one slot at once each end
   * the one it replaced, and the last one holds it. Never gives up: the exchange has spent the caller's
   * grant by then.
   */
  seize(user: SessionUser, holder: SlotHolder, sessionId: string, ttlMs: number, deps: SeizeDeps): Promise<number>;
  /** True when `slot` still holds the sign-in `lineage` (a later sign-in did not displace it). */
  holds(user: SessionUser, slot: number, lineage: string): Promise<boolean>;
  /** After a refresh rotated the session's id: the sign-in's session is now `sessionId`. */
  pointTo(lineage: string, sessionId: string, ttlMs: number): Promise<void>;
  /** After a sign-out: frees the slot when it still holds the sign-in. */
  release(user: SessionUser, slot: number, lineage: string): Promise<void>;
  /** A sign-in that got no session (its slot was taken before its session was written): its id key goes. */
  abandon(lineage: string): Promise<void>;
}

/**
 * The most slots a user may have: a sign-in reads every slot, and with all taken looks up each one's
 * session (~3 commands a slot on Redis; a review measured ~2,000 commands a sign-in at 1,000).
 */
export const MAX_LIMIT = 100;
/** Rounds of reading the slots before a sign-in gives up (each round tries every slot). */
const CLAIM_ROUNDS = 3;
/**
 * A sign-in this recent is live without a lookup: its slot is taken before its session is written,
 * and a sign-in racing it must not take it for one that is over (an attacker review saw the newest
 * session displaced first).
 */
const JUST_SIGNED_IN_MS = 30_000;

/**
 * At most `limit` live sessions per user (SESSION_MAX_PER_USER): a sign-in past it ends the user's
 * oldest session. Without it, one caller replaying one sign-in (a JWT-bearer assertion is a cache hit:
 * one unit of its upstream budget) made sessions without end: without Redis they pushed every other
 * user's idle session out of the sessions' LRU (an attacker's review: ~40 minutes of one caller's
 * allowance, ~4 of ten callers'), and on Redis they filled its memory.
 *
 * Slots, not a list under one key: each slot is one key, taken only when free (setIfAbsent) or when it
 * still holds what was read (deleteIfEquals, then setIfAbsent), or, by a sign-in that lost every claim,
 * replaced in one step that answers what it replaced (swap), so sign-ins on several replicas at once
 * never overwrite a sign-in unseen (a plain write let concurrent sign-ins all "win" one slot, each
 * leaving a session behind for its idle timeout: a review filled Redis so): whoever removes a sign-in
 * from its slot ends its session. No command spans two keys (a Cluster). A slot holds the sign-in's lineage, which a refresh keeps: a session checks it on every
 * lookup. The lineage's current session id sits under a key of its own that only that session's
 * refreshes write, so a refresh never writes a slot a sign-in may be taking. Values are sealed (they
 * hold session ids); keys are HMACs.
 */
export function createUserSessionSlots(deps: { store: Store; keyspace: Keyspace; limit: number; now?: () => number }): UserSessionSlots {
  const { store, keyspace, limit } = getValidDeps(deps);
  const now = deps.now ?? Date.now;
  const slotKey = (user: SessionUser, slot: number) => keyspace.key("session-slot", user.clientId, user.subject, String(slot));
  const pointerKey = (lineage: string) => keyspace.key("session-lineage", lineage);
  const ttl = (ttlMs: number) => Math.max(1, Math.floor(ttlMs));
  const sealJson = (key: string, value: object) => keyspace.seal(key, Buffer.from(JSON.stringify(value), "utf8"));
  /** The value sealed under `key`; undefined when absent or unreadable (callers check its fields). */
  const openJson = (key: string, bytes: Buffer | null): Partial<Record<string, unknown>> | null | undefined => {
    if (bytes === null) return undefined;
    try {
      return JSON.parse(keyspace.open(key, bytes).toString("utf8")) as Partial<Record<string, unknown>> | null;
    } catch {
      // Sealed under another GATEWAY_SECRET or altered: nothing this gateway can use.
      return undefined;
    }
  };
  const holderIn = (key: string, bytes: Buffer | null): SlotHolder | undefined => {
    const value = openJson(key, bytes);
    return typeof value?.lineage === "string" && typeof value.signedInAt === "number" ? { lineage: value.lineage, signedInAt: value.signedInAt } : undefined;
  };
  const sessionOf = async (lineage: string): Promise<string | undefined> => {
    const key = pointerKey(lineage);
    const sessionId = openJson(key, await store.get(key))?.sessionId;
    return typeof sessionId === "string" ? sessionId : undefined;
  };
  const pointTo = (lineage: string, sessionId: string, ttlMs: number) => {
    const key = pointerKey(lineage);
    return store.set(key, sealJson(key, { sessionId }), ttl(ttlMs));
  };

  /** The taken slots in the order a sign-in takes them over, each with the session to end (if live). */
  async function takeOverOrder(keys: string[], held: Array<Buffer | null>, deps: ClaimDeps) {
    const at = now();
    const candidates = await Promise.all(held.map(async (bytes, slot) => {
      if (bytes === null) return undefined;
      const holder = holderIn(keys[slot]!, bytes);
      if (holder === undefined) return { slot, bytes, rank: 0, signedInAt: 0, lineage: undefined, live: undefined };
      const sessionId = await sessionOf(holder.lineage);
      const live = at - holder.signedInAt < JUST_SIGNED_IN_MS || (sessionId !== undefined && (await deps.isLive(sessionId)));
      return { slot, bytes, rank: live ? 2 : 1, signedInAt: holder.signedInAt, lineage: holder.lineage, live: live ? sessionId : undefined };
    }));
    return candidates.filter((c) => c !== undefined).sort((a, b) => a.rank - b.rank || a.signedInAt - b.signedInAt);
  }

  /**
   * A sign-in this one removed from its slot (a take-over's deleteIfEquals or a seize's swap: exactly one
   * caller removes each) leads nowhere now: its session ends and its id key goes (a session that ended
   * without releasing its slot, a sign-out everywhere or a refused refresh, left one for the absolute
   * lifetime: a review piled them up, in Redis and in the sessions' LRU, by signing in and out everywhere).
   */
  async function endRemoved(lineage: string | undefined, live: string | undefined, deps: ClaimDeps): Promise<void> {
    if (lineage === undefined) return;
    if (live !== undefined) await deps.displace(live);
    await store.delete(pointerKey(lineage));
  }

  /** The slot an earlier try of this sign-in took (the store failed after): the sign-in's own, taken back. */
  const ownSlot = (keys: string[], held: Array<Buffer | null>, holder: SlotHolder): number | undefined => {
    const index = held.findIndex((bytes, slot) => bytes !== null && holderIn(keys[slot]!, bytes)?.lineage === holder.lineage);
    return index < 0 ? undefined : index;
  };

  return {
    limit,
    async claim(user, holder, sessionId, ttlMs, deps) {
      const keys = Array.from({ length: limit }, (_, slot) => slotKey(user, slot));
      const take = async (slot: number) => {
        await deps.write?.(slot);
        return store.setIfAbsent(keys[slot]!, sealJson(keys[slot]!, holder), ttl(ttlMs));
      };
      // Before the slot: a sign-in that finds this one's slot taken can tell which session holds it.
      await pointTo(holder.lineage, sessionId, ttlMs);
      for (let round = 0; round < CLAIM_ROUNDS; round++) {
        const held = await Promise.all(keys.map((key) => store.get(key)));
        const own = ownSlot(keys, held, holder);
        if (own !== undefined) return (await deps.write?.(own), own);
        for (let slot = 0; slot < limit; slot++) {
          if (held[slot] === null && (await take(slot))) return slot;
        }
        for (const candidate of await takeOverOrder(keys, held, deps)) {
          // Changed since the read (another sign-in took it, or its sign-out released it): the next round reads it again.
          if (!(await store.deleteIfEquals(keys[candidate.slot]!, candidate.bytes))) continue;
          const taken = await take(candidate.slot);
          // Ended by the one sign-in that removed it, and only after: ended first, a session that a sign-in was
          // about to write, or to answer, could be ended before it existed, and outlive its slot.
          await endRemoved(candidate.lineage, candidate.live, deps);
          if (taken) return candidate.slot;
        }
      }
      await store.delete(pointerKey(holder.lineage));
      return undefined;
    },

    async seize(user, holder, sessionId, ttlMs, deps) {
      const keys = Array.from({ length: limit }, (_, slot) => slotKey(user, slot));
      await pointTo(holder.lineage, sessionId, ttlMs);
      const held = await Promise.all(keys.map((key) => store.get(key)));
      const own = ownSlot(keys, held, holder);
      if (own !== undefined) return (await deps.write(own), own);
      const rank = (slot: number) => (held[slot] === null ? -1 : holderIn(keys[slot]!, held[slot]!)?.signedInAt ?? 0);
      const slot = keys.reduce((best, _, index) => (rank(index) < rank(best) ? index : best), 0);
      // Written before the slot leads to it: a sign-in replacing this one a moment later finds the session to end.
      await deps.write(slot);
      const replaced = await store.swap(keys[slot]!, sealJson(keys[slot]!, holder), ttl(ttlMs));
      const was = replaced === null ? undefined : holderIn(keys[slot]!, replaced);
      if (was !== undefined && was.lineage !== holder.lineage) await endRemoved(was.lineage, await sessionOf(was.lineage), deps);
      return slot;
    },

    async holds(user, slot, lineage) {
      const key = slotKey(user, slot);
      return holderIn(key, await store.get(key))?.lineage === lineage;
    },

    pointTo,

    abandon: (lineage) => store.delete(pointerKey(lineage)),

    async release(user, slot, lineage) {
      const key = slotKey(user, slot);
      const bytes = await store.get(key);
      if (holderIn(key, bytes)?.lineage === lineage) await Promise.all([store.deleteIfEquals(key, bytes!), store.delete(pointerKey(lineage))]);
    },
  };
}

function getValidDeps(deps: { store: Store; keyspace: Keyspace; limit: number }) {
  if (!Number.isInteger(deps.limit) || deps.limit < 1 || deps.limit > MAX_LIMIT) {
    throw new TypeError(`createUserSessionSlots: limit must be an integer from 1 to ${MAX_LIMIT} (SESSION_MAX_PER_USER) (got ${String(deps.limit)})`);
  }
  return deps;
}
