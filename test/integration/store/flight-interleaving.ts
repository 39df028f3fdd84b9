import type { Store } from "../../../src/store/store.types.js";

/**
 * Pieces that order a single-flight test by events instead of sleeps: a leader's fn that holds
 * its lock until the test releases it, and a real store that notes each lock attempt, so a test
 * can wait until a follower has actually joined (lost the lock) before letting the leader finish.
 */

/** An fn that records its call and answers `value` only once `release()` is called. */
export function heldCall<T>(value: T) {
  const calls: T[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const fn = async (): Promise<T> => {
    calls.push(value);
    await released;
    return value;
  };
  return { fn, calls, release };
}

/** The real store, with every `setIfAbsent` outcome noted: a flight that lost the lock is following. */
export function watchingLocks(store: Store) {
  const outcomes: boolean[] = [];
  const watched: Store = {
    ...store,
    kind: store.kind,
    async setIfAbsent(key, value, ttlMs) {
      const won = await store.setIfAbsent(key, value, ttlMs);
      outcomes.push(won);
      return won;
    },
  };
  return { store: watched, outcomes, lost: () => outcomes.filter((won) => !won).length };
}
