import type { Store } from "./store.types.js";

/** The last write an outage made to a key: a value (read back from the fallback when carried over) until `expiresAt`, or a removal. */
type OutageWrite = { kind: "set"; expiresAt: number } | { kind: "delete" };

export interface OutageWritesOptions {
  /** Which keys' writes outlive the outage (e.g. a revoked refresh family); others stay in process memory. */
  carries: (key: string) => boolean;
  /** Most keys remembered; past it the oldest are forgotten (and counted). */
  maxEntries: number;
  now?: () => number;
}

export interface CarryOverResult {
  /** Writes replayed on the primary (expired and evicted values skipped). */
  carried: number;
  /** Writes forgotten because more keys were written than maxEntries. */
  forgotten: number;
}

/**
 * The writes a resilient store's fallback served while Redis was away, for the keys that must not
 * stay in one process's memory once Redis is back: without them, a refresh family revoked during an
 * outage was honoured again on every replica (this one included) the moment Redis answered, and an
 * identity context forgotten at sign-out came back with Redis's older copy. Only each key's last
 * write is kept (its value is read from the fallback when carried over, so nothing is held twice).
 * Carried over with plain SET and DEL: the outage's write is the newest this replica knows of (a
 * refresh node that gained its successor during the outage must replace the one Redis still holds).
 */
export interface OutageWrites {
  readonly size: number;
  noteSet(key: string, ttlMs: number): void;
  noteDelete(key: string): void;
  /** Replays the noted writes on `primary`, reading values from `fallback`. Rejects (keeping what was not replayed) when the primary fails. */
  carryOver(primary: Store, fallback: Store): Promise<CarryOverResult>;
}

/** A carry-over that keeps meeting new writes stops after this many passes (the store switches back regardless). */
const MAX_PASSES = 5;

export function createOutageWrites(options: OutageWritesOptions): OutageWrites {
  const { carries, maxEntries } = options;
  const now = options.now ?? Date.now;
  const writes = new Map<string, OutageWrite>();
  let forgotten = 0;

  function note(key: string, write: OutageWrite): void {
    if (!carries(key)) return;
    // Re-inserted, so the Map's order stays the order of last writes and the oldest goes first.
    writes.delete(key);
    writes.set(key, write);
    if (writes.size > maxEntries) {
      writes.delete(writes.keys().next().value!);
      forgotten += 1;
    }
  }

  async function replay(primary: Store, fallback: Store, key: string, write: OutageWrite): Promise<boolean> {
    if (write.kind === "delete") {
      await primary.delete(key);
      return true;
    }
    const ttlMs = write.expiresAt - now();
    if (ttlMs <= 0) return false;
    const value = await fallback.get(key);
    if (value === null) return false;
    await primary.set(key, value, ttlMs);
    return true;
  }

  return {
    get size() {
      return writes.size;
    },
    noteSet(key, ttlMs) {
      note(key, { kind: "set", expiresAt: now() + ttlMs });
    },
    noteDelete(key) {
      note(key, { kind: "delete" });
    },
    async carryOver(primary, fallback) {
      let carried = 0;
      // Requests keep writing to the fallback while a pass runs: what they wrote goes in the next one.
      for (let pass = 0; pass < MAX_PASSES && writes.size > 0; pass += 1) {
        const batch = [...writes];
        writes.clear();
        const results = await Promise.allSettled(batch.map(([key, write]) => replay(primary, fallback, key, write)));
        const failed = results.findIndex((result) => result.status === "rejected");
        if (failed !== -1) {
          // Put back what did not land, unless a newer write replaced it meanwhile.
          batch.forEach(([key, write], index) => {
            if (results[index]!.status === "rejected" && !writes.has(key)) writes.set(key, write);
          });
          throw (results[failed] as PromiseRejectedResult).reason;
        }
        carried += results.filter((result) => (result as PromiseFulfilledResult<boolean>).value).length;
      }
      const result = { carried, forgotten };
      forgotten = 0;
      return result;
    },
  };
}
