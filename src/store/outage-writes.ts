import type { Store } from "./store.types.js";

/**
 * How one key's outage write is replayed on the primary, given that another replica may have
 * written the key since its own recovery (replicas recover up to a probe interval apart, longer when
 * only one lost Redis):
 * - `overwrite`: plain SET (the outage's write is the most informative, e.g. a refresh node that
 *   gained its successor while Redis still holds the one without).
 * - `if-absent`: SET NX (a value written since the recovery is newer: an answer, a record).
 * - `greatest`: the value is a decimal number (a time mark); the greater of the two stays.
 * - `release`: a lock. Its acquisitions and removals are not carried (a lock taken during the outage
 *   exists only in this process); its owner-checked release is replayed on the primary as one, after
 *   every other write: the lock may be there too (taken before the outage, or by a SET NX that timed out
 *   here and ran there after all).
 * Removals are always replayed (DEL), except a `release` key's.
 * `priority`: kept apart from the others and never pushed out by them (a revocation, a sign-out
 * mark), its value held in the list itself: the fallback, an LRU, may have evicted it.
 */
export interface CarryPolicy {
  replay: "overwrite" | "if-absent" | "greatest" | "release";
  priority?: boolean;
}

/** The last write an outage made to a key: a value until `expiresAt` (held here for priority keys), a removal, or a lock's owner-checked release. */
export type OutageWrite = { kind: "set"; expiresAt: number; policy: CarryPolicy; value?: Buffer } | { kind: "delete" } | { kind: "release"; expected: Buffer };

export interface OutageWritesOptions {
  /** How a key's writes outlive the outage (undefined: they stay in process memory). */
  carries: (key: string) => CarryPolicy | undefined;
  /** Most keys remembered of each kind (priority or not); past it the oldest of that kind are forgotten (and counted). */
  maxEntries: number;
  now?: () => number;
}

export interface CarryOverResult {
  /** Writes replayed on the primary (expired and evicted values skipped). */
  carried: number;
  /** Writes forgotten because more keys were written than maxEntries. */
  forgotten: number;
}

/** An outage write not replayed yet, handed over at the switch back to the primary. */
export type PendingOutageWrite = readonly [key: string, write: OutageWrite];

/**
 * The writes a resilient store's fallback served while Redis was away, for the keys that must not
 * stay in one process's memory once Redis is back: without them, a refresh family revoked during an
 * outage was honoured again on every replica (this one included) the moment Redis answered, and an
 * identity context forgotten at sign-out came back with Redis's older copy. Only each key's last
 * write is kept. Passes replay the list while the store still serves from the fallback; what requests
 * wrote during the last pass is handed over (drain) as the store switches back, and replayed right
 * after unless a request wrote the key on the primary first: nothing is dropped at the switch, the
 * store does not stay degraded under a steady stream of writes, and nothing waits for a later outage.
 */
export interface OutageWrites {
  readonly size: number;
  noteSet(key: string, ttlMs: number, value: Buffer): void;
  noteDelete(key: string): void;
  /** A lock (a `release` key; any other key: nothing) this process released while the fallback served: the primary may hold it too. */
  noteRelease(key: string, expected: Buffer): void;
  /** Replays the noted writes on `primary`, reading values from `fallback`, in a few passes. Rejects (keeping what was not replayed) when the primary fails. */
  carryOver(primary: Store, fallback: Store): Promise<CarryOverResult>;
  /** Takes what is still noted (priority first) and empties the list: called as the store switches back. */
  drain(): PendingOutageWrite[];
  /** Replays one write handed over by drain; true when it changed the primary. */
  replay(primary: Store, fallback: Store, pending: PendingOutageWrite): Promise<boolean>;
  /** A priority key's value this outage wrote and the list holds (unexpired): read when the fallback, an LRU, has evicted it. */
  held(key: string): Buffer | undefined;
  /** True when the outage's last write of `key` (a carried key) removed it: the shared store's older value no longer holds. */
  removed(key: string): boolean;
  /** Notes a handed-over write again (its replay failed), unless the key was written since. */
  restore(key: string, write: OutageWrite): void;
}

/** Passes of one carry-over while requests keep writing to the fallback; what the last one leaves is drained at the switch. */
const MAX_PASSES = 3;
/** Priority values are small markers (a revocation, a time): larger ones are read from the fallback like the rest. */
const MAX_HELD_VALUE_BYTES = 64;

export function createOutageWrites(options: OutageWritesOptions): OutageWrites {
  const { carries, maxEntries } = options;
  const now = options.now ?? Date.now;
  const ordinary = new Map<string, OutageWrite>();
  const priority = new Map<string, OutageWrite>();
  /**
   * Lock releases, replayed after everything else: a lock released on the primary wakes the calls
   * waiting on it (another replica's), which must find what the lock's holder wrote (a refresh's grace
   * successor). Left on the primary, the lock kept them waiting for its whole TTL (61 s for a refresh),
   * past the grace window, and a second tab's refresh ended in INVALID_GRANT (a review).
   */
  const releases = new Map<string, OutageWrite>();
  /**
   * Priority values for reads while the outage lasts, apart from the lists: a pass takes entries off
   * the lists before they land, and what landed is on Redis, which the store does not read until the
   * switch. Emptied at the switch (drain).
   */
  const heldValues = new Map<string, { value: Buffer; expiresAt: number }>();
  let forgotten = 0;

  function note(key: string, write: OutageWrite, list: Map<string, OutageWrite>): void {
    // A key's last write decides: a removal after a priority set replaces it in its own list.
    ordinary.delete(key);
    priority.delete(key);
    releases.delete(key);
    list.set(key, write);
    if (list.size > maxEntries) {
      list.delete(list.keys().next().value!);
      forgotten += 1;
    }
  }

  async function replay(primary: Store, fallback: Store, key: string, write: OutageWrite): Promise<boolean> {
    if (write.kind === "delete") {
      await primary.delete(key);
      return true;
    }
    if (write.kind === "release") return primary.deleteIfEquals(key, write.expected);
    const ttlMs = write.expiresAt - now();
    if (ttlMs <= 0) return false;
    const value = write.value ?? (await fallback.get(key));
    if (value === null) return false;
    switch (write.policy.replay) {
      case "overwrite":
        await primary.set(key, value, ttlMs);
        return true;
      case "if-absent":
        return primary.setIfAbsent(key, value, ttlMs);
      case "greatest": {
        // Stryker disable next-line ConditionalExpression: equivalent in effect, the read below finds no mark and the SET writes it (only the atomicity differs)
        if (await primary.setIfAbsent(key, value, ttlMs)) return true;
        // Not atomic: two replicas replaying one mark at once may keep the lesser. Marks are rare and written once each.
        const theirs = await primary.get(key);
        // Stryker disable next-line ConditionalExpression: equivalent, the mark was there a moment before (setIfAbsent refused); gone since is a race no test stages
        if (theirs !== null && Number(theirs.toString("utf8")) >= Number(value.toString("utf8"))) return false;
        await primary.set(key, value, ttlMs);
        return true;
      }
      case "release":
        // Stryker disable next-line BooleanLiteral: equivalent, a lock's set is never noted (noteSet)
        return false;
    }
  }

  async function pass(primary: Store, fallback: Store, list: Map<string, OutageWrite>): Promise<number> {
    const batch = [...list];
    list.clear();
    const results = await Promise.allSettled(batch.map(([key, write]) => replay(primary, fallback, key, write)));
    const failed = results.findIndex((result) => result.status === "rejected");
    if (failed !== -1) {
      // Put back what did not land, unless a newer write replaced it meanwhile.
      batch.forEach(([key, write], index) => {
        if (results[index]!.status === "rejected" && !ordinary.has(key) && !priority.has(key) && !releases.has(key)) list.set(key, write);
      });
      throw (results[failed] as PromiseRejectedResult).reason;
    }
    return results.filter((result) => (result as PromiseFulfilledResult<boolean>).value).length;
  }

  const size = () => ordinary.size + priority.size + releases.size;

  return {
    get size() {
      return size();
    },
    noteSet(key, ttlMs, value) {
      const policy = carries(key);
      if (policy === undefined || policy.replay === "release") return;
      const held = policy.priority === true && value.length <= MAX_HELD_VALUE_BYTES ? Buffer.from(value) : undefined;
      const expiresAt = now() + ttlMs;
      heldValues.delete(key);
      if (held !== undefined) {
        heldValues.set(key, { value: held, expiresAt });
        if (heldValues.size > maxEntries) heldValues.delete(heldValues.keys().next().value!);
      }
      note(key, { kind: "set", expiresAt, policy, ...(held ? { value: held } : {}) }, policy.priority === true ? priority : ordinary);
    },
    noteDelete(key) {
      heldValues.delete(key);
      const policy = carries(key);
      if (policy !== undefined && policy.replay !== "release") note(key, { kind: "delete" }, policy.priority === true ? priority : ordinary);
    },
    noteRelease(key, expected) {
      if (carries(key)?.replay === "release") note(key, { kind: "release", expected: Buffer.from(expected) }, releases);
    },
    async carryOver(primary, fallback) {
      let carried = 0;
      // Requests keep writing to the fallback while a pass runs: what they wrote goes in the next one. Priority first.
      for (let passes = 0; passes < MAX_PASSES && size() > 0; passes += 1) {
        carried += await pass(primary, fallback, priority);
        carried += await pass(primary, fallback, ordinary);
        // Only once what the locks' holders wrote has landed.
        if (ordinary.size === 0 && priority.size === 0) carried += await pass(primary, fallback, releases);
      }
      const result = { carried, forgotten };
      forgotten = 0;
      return result;
    },
    drain() {
      heldValues.clear();
      const pending = [...priority, ...ordinary, ...releases];
      priority.clear();
      ordinary.clear();
      releases.clear();
      return pending;
    },
    replay: (primary, fallback, [key, write]) => replay(primary, fallback, key, write),
    removed(key) {
      return (priority.get(key) ?? ordinary.get(key))?.kind === "delete";
    },
    held(key) {
      const held = heldValues.get(key);
      return held !== undefined && held.expiresAt > now() ? Buffer.from(held.value) : undefined;
    },
    restore(key, write) {
      if (ordinary.has(key) || priority.has(key) || releases.has(key)) return;
      // Stryker disable next-line OptionalChaining: equivalent, only a key carries() named was ever noted and handed over
      (write.kind === "release" ? releases : carries(key)?.priority === true ? priority : ordinary).set(key, write);
      // Read again while the outage its failure starts lasts.
      if (write.kind === "set" && write.value !== undefined) heldValues.set(key, { value: write.value, expiresAt: write.expiresAt });
    },
  };
}
