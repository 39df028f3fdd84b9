import { describe, expect, it } from "vitest";
import { createGatewayStore } from "../../../../src/store/index.js";
import { silentStoreLogger } from "../../../../src/store/store.types.js";
import { carriedThroughOutage } from "../../../../src/tokens/index.js";
import { SHARED_REDIS_URL, startCuttableProxy, uniqueKeyPrefix } from "../../../integration/store/redis-test-support.js";
import { probeSharedRedis } from "../../../support/test-dependencies.js";
import { closeAndForget, createControllableUpstream, createGatedStore, outcome, raceConfig, replica } from "./race-support.js";

/**
 * Two tabs refresh one refresh token on two replicas: the second joins the first's flight and waits
 * for its hand-off. Replica one loses Redis after AWS answered (a blip on its connection): its
 * hand-off and its lock's release go to process memory, and the lock stayed on Redis for its whole
 * TTL (61 s by default). The second tab waited on it until SINGLE_FLIGHT_WAIT_MS (44 s by default)
 * and got UPSTREAM_UNAVAILABLE; by its retry the grace window (30 s) had passed, and the retry met
 * the rotated token: INVALID_GRANT, signed out by a blip (a review). The release is now carried over
 * with the outage's other writes, after them: the waiting tab takes the lock and gets the grace successor.
 */
const sharedRedis = await probeSharedRedis();

describe.skipIf(sharedRedis.missing !== undefined)("a flight's lock released while its replica had lost Redis", () => {
  it("is released on Redis once the replica is back: the tab waiting on it gets the same new pair, with one call to AWS", async () => {
    const keyPrefix = uniqueKeyPrefix("races-orphaned-lock");
    const proxy = await startCuttableProxy(Number(new URL(SHARED_REDIS_URL).port || 6379));
    const upstream = createControllableUpstream();
    const config = raceConfig({ SINGLE_FLIGHT_WAIT_MS: "8000" });
    const storeVia = (redisUrl: string) => createGatedStore(createGatewayStore({ redisUrl, keyPrefix, logger: silentStoreLogger, carriedThroughOutage }));
    const oneStore = storeVia(proxy.url);
    const twoStore = storeVia(SHARED_REDIS_URL);
    try {
      const one = replica(oneStore, upstream, config);
      const two = replica(twoStore, upstream, config);

      const firstCall = upstream.holdNext();
      const first = one.forRequest().refresh({ refreshToken: "two-tabs-root" });
      await firstCall.arrived;
      const following = twoStore.next<boolean>("setIfAbsent", "sf-lock");
      const secondAnswer = Promise.resolve(two.forRequest().refresh({ refreshToken: "two-tabs-root" }));
      const second = outcome(secondAnswer);
      expect((await following).result).toBe(false);

      // Replica one's connection drops while AWS answers it; it is back a moment later.
      proxy.cut();
      firstCall.release();
      expect(await first).toMatchObject({ refreshToken: "refresh-1" });
      proxy.restore();

      expect(await second).toBe("ok");
      expect(await secondAnswer).toMatchObject({ refreshToken: "refresh-1" });
      expect(upstream.calls.map((call) => call.refreshToken)).toEqual(["two-tabs-root"]);
    } finally {
      await closeAndForget([oneStore, twoStore], keyPrefix);
      await proxy.close();
    }
  }, 20_000);
});
