import type { Keyspace } from "../store/keyspace.js";
import type { Store } from "../store/store.types.js";
import { decodeSessionRecord, encodeSessionRecord, type SessionRecord } from "./session-record.js";

/** ping's probe: one byte under one key, gone a second later (every sign-in overwrites it). */
const PROBE_VALUE = Buffer.from("1");
const PROBE_TTL_MS = 1_000;

/**
 * Where sessions rest, under keys the keyspace derives from the session id (HMAC: the id never
 * appears in a key) and sealed (AES-256-GCM: the tokens never rest in clear):
 *
 * - `session`: the record (live, or a rotated id's forwarding note). A live record lives for the idle
 *   timeout, renewed on use up to its absolute expiry: a session nobody uses leaves the store by
 *   itself, so sign-ins a caller abandons cost the store one idle timeout each, not a whole lifetime.
 *   Renewing only resets the TTL of the exact bytes read (extendIfEquals), never rewrites them: a
 *   record a concurrent refresh has just rotated is never brought back.
 * - `session-seen`: when an operation last used the session (what `idleExpiresAt` counts from).
 * - `session-ended`: a sign-out's mark on an id, written before the sign-out looks the session up:
 *   a refresh that was already rotating that id finds it after its own writes and undoes them, so
 *   a sign-out racing a refresh (another tab, another replica) is never undone by it.
 * - `session-user`: per user (application and subject), when they last signed out everywhere;
 *   a session signed in at or before it is over, on every replica.
 */
export interface SessionStore {
  /** The record, its stored bytes, and when it was last used (undefined when its idle timeout ran out); undefined when absent or unreadable. */
  read(sessionId: string): Promise<StoredSession | undefined>;
  write(sessionId: string, record: SessionRecord, ttlMs: number): Promise<void>;
  /** Marks the session used at `at`, for `idleTimeoutMs`. */
  markSeen(sessionId: string, at: number, idleTimeoutMs: number): Promise<void>;
  /** Marks the session used at `at` and keeps its record `ttlMs` longer, unless the record changed since `stored` was read. */
  renew(sessionId: string, stored: StoredSession, at: number, idleTimeoutMs: number, ttlMs: number): Promise<void>;
  remove(sessionId: string): Promise<void>;
  /** Leaves the forwarding note `record` (a rotated id) for `ttlMs`; the id's idle clock goes: a note is never renewed. */
  forward(sessionId: string, record: SessionRecord, ttlMs: number): Promise<void>;
  /** Marks the id as ended by a sign-out for `ttlMs` (longer than any rotation in flight). */
  markEnded(sessionId: string, ttlMs: number): Promise<void>;
  /** True when a sign-out marked the id ended. */
  wasEnded(sessionId: string): Promise<boolean>;
  /** Rejects when the store cannot write (one short-lived write): checked before a sign-in spends its grant. */
  ping(): Promise<void>;
  signedOutEverywhereAt(clientId: string, subject: string): Promise<number | undefined>;
  markSignedOutEverywhere(clientId: string, subject: string, at: number, ttlMs: number): Promise<void>;
}

export interface StoredSession {
  record: SessionRecord;
  /** The sealed bytes as read: what a renewal must still find. */
  sealed: Buffer;
  seenAt: number | undefined;
}

export function createSessionStore(deps: {
  store: Store;
  keyspace: Keyspace;
  /** Where sign-outs' marks go; default `store`. In one process, a memory store of their own (sessions/index.ts). */
  endedMarks?: Store;
}): SessionStore {
  const { store, keyspace } = deps;
  const endedMarks = deps.endedMarks ?? store;
  const recordKey = (id: string) => keyspace.key("session", id);
  const seenKey = (id: string) => keyspace.key("session-seen", id);
  const userKey = (clientId: string, subject: string) => keyspace.key("session-user", clientId, subject);
  const endedKey = (id: string) => keyspace.key("session-ended", id);
  const ENDED = Buffer.from("1", "utf8");
  const write = (sessionId: string, record: SessionRecord, ttlMs: number) => {
    const key = recordKey(sessionId);
    return store.set(key, keyspace.seal(key, encodeSessionRecord(record)), Math.max(1, ttlMs));
  };
  const markSeen = (sessionId: string, at: number, idleTimeoutMs: number) =>
    store.set(seenKey(sessionId), Buffer.from(String(at), "utf8"), Math.max(1, idleTimeoutMs));

  return {
    async read(sessionId) {
      const key = recordKey(sessionId);
      // Both in one round trip on an ordered store (auto-pipelined).
      const [sealed, seen] = await Promise.all([store.get(key), store.get(seenKey(sessionId))]);
      if (sealed === null) return undefined;
      let record: SessionRecord;
      try {
        record = decodeSessionRecord(keyspace.open(key, sealed));
      } catch {
        // Sealed under another GATEWAY_SECRET, altered, or another version's: no session.
        return undefined;
      }
      const seenAt = seen === null ? NaN : Number(seen.toString("utf8"));
      return { record, sealed, seenAt: Number.isFinite(seenAt) ? seenAt : undefined };
    },
    write,
    markSeen,
    async renew(sessionId, stored, at, idleTimeoutMs, ttlMs) {
      await Promise.all([store.extendIfEquals(recordKey(sessionId), stored.sealed, Math.max(1, ttlMs)), markSeen(sessionId, at, idleTimeoutMs)]);
    },
    async remove(sessionId) {
      await Promise.all([store.delete(recordKey(sessionId)), store.delete(seenKey(sessionId))]);
    },
    async forward(sessionId, record, ttlMs) {
      await Promise.all([write(sessionId, record, ttlMs), store.delete(seenKey(sessionId))]);
    },
    markEnded(sessionId, ttlMs) {
      return endedMarks.set(endedKey(sessionId), ENDED, Math.max(1, ttlMs));
    },
    async wasEnded(sessionId) {
      return (await endedMarks.get(endedKey(sessionId))) !== null;
    },
    async ping() {
      // A write: a Redis out of memory (noeviction) still answers reads, and the session write after the exchange would fail.
      await store.set(keyspace.key("session-probe"), PROBE_VALUE, PROBE_TTL_MS);
    },
    async signedOutEverywhereAt(clientId, subject) {
      const value = await store.get(userKey(clientId, subject));
      const at = value === null ? NaN : Number(value.toString("utf8"));
      return Number.isFinite(at) ? at : undefined;
    },
    markSignedOutEverywhere(clientId, subject, at, ttlMs) {
      return store.set(userKey(clientId, subject), Buffer.from(String(at), "utf8"), Math.max(1, ttlMs));
    },
  };
}
