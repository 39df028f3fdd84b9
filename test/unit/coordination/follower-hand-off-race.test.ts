import { describe, expect, it } from "vitest";
import { createKeyspace, createMemoryStore, type Store } from "../../../src/store/index.js";
import { createSingleFlight, type SingleFlightCodec } from "../../../src/coordination/single-flight.js";
import { recordingStoreLogger } from "../mutation-kills/store-doubles.js";
import { deferred } from "../tokens/races/race-support.js";

/**
 * A follower on another replica reads the result, finds none, then reads the lock. The leader's
 * hand-off (store the result, release the lock) can land between those two reads: the follower then
 * sees no result and no lock. Taking the lock over there called the work again (for a refresh, the
 * rotated token sent to AWS a second time) and warned of a leader gone. The interleaving is forced:
 * the follower's lock read is held until the leader has finished.
 */
const keyspace = createKeyspace({ secret: Buffer.alloc(32, 29) });
const text: SingleFlightCodec<string> = { encode: (value) => Buffer.from(value), decode: (bytes) => bytes.toString() };
const flightSettings = { lockTtlMs: 5_000, waitTimeoutMs: 5_000, reuseFinishedResults: false, resultTtlMs: 2_000 };
const lockOf = (key: string) => keyspace.key("sf-lock", key);

const storeKinds: Array<{ name: string; ordered: boolean }> = [
  { name: "ordered store (one Redis)", ordered: true },
  { name: "unordered store (a Cluster)", ordered: false },
];

describe.each(storeKinds)("a follower whose reads straddle the leader's hand-off ($name)", ({ ordered }) => {
  it("answers with the leader's result, calls nothing itself and warns of nothing", async () => {
    const shared: Store = { ...createMemoryStore(), ordered };
    const key = "straddled";
    const leaderMayAnswer = deferred();
    const followerReadsLock = deferred();
    const leaderDone = deferred();
    // The follower's replica: its read of the lock waits until the leader has handed off and released it.
    const followerStore: Store = {
      ...shared,
      get: async (storeKey) => {
        if (storeKey === lockOf(key)) {
          followerReadsLock.resolve();
          await leaderDone.promise;
        }
        return shared.get(storeKey);
      },
    };
    const leaderLogger = recordingStoreLogger();
    const followerLogger = recordingStoreLogger();
    const leader = createSingleFlight({ ...flightSettings, store: shared, keyspace, logger: leaderLogger });
    const follower = createSingleFlight({ ...flightSettings, store: followerStore, keyspace, logger: followerLogger });

    const leading = leader.run(key, async () => {
      await leaderMayAnswer.promise;
      return "the leader's answer";
    }, text);
    let followerCalls = 0;
    const following = follower.run(key, async () => `the follower's own call ${++followerCalls}`, text);
    await followerReadsLock.promise;
    leaderMayAnswer.resolve();
    expect(await leading).toEqual({ value: "the leader's answer", role: "leader" });
    leaderDone.resolve();

    expect(await following).toEqual({ value: "the leader's answer", role: "follower" });
    expect(followerCalls).toBe(0);
    expect([...leaderLogger.lines, ...followerLogger.lines]).toEqual([]);
  });
});
