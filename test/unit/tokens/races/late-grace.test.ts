import { describe, expect, it } from "vitest";
import { redisBackend } from "./race-support.js";

/**
 * Safeguard (token-exchanger.ts, refresh): "A refresh that lost the race by a hair" — when AWS
 * answers INVALID_GRANT, the grace window is looked up once more, and a successor kept meanwhile
 * is served. Forced: replica 1's refresh is at AWS (held) when Redis loses its flight lock (a
 * failover, an eviction); replica 2 refreshes the same token, passes both of its grace checks
 * before replica 1 is answered, and reaches AWS second: AWS rotates the token for replica 1, then
 * refuses replica 2's now-rotated token.
 *
 * Redis only: in one process (memory store) two refreshes of one token always share one flight.
 */
const redis = await redisBackend("late-grace.test.ts");

describe.skipIf(!redis.available)(`the late grace look-up after INVALID_GRANT (${redis.name})`, () => {
  it("serves a refresh that AWS refused because another replica rotated the token a moment earlier that replica's successor, not INVALID_GRANT", async () => {
    const { upstream, one, two } = redis.start();

    const firstLock = one.store.next<boolean>("setIfAbsent", "sf-lock");
    const firstCall = upstream.holdNext();
    const first = one.service.forRequest().refresh({ refreshToken: "session-root" });
    const { key: lockKey, result: locked } = await firstLock;
    expect(locked).toBe(true);
    await firstCall.arrived;
    // Redis loses replica 1's lock while its call is at AWS.
    await two.store.delete(lockKey);

    const secondCall = upstream.holdNext();
    const second = two.service.forRequest().refresh({ refreshToken: "session-root" });
    await secondCall.arrived;
    firstCall.release();
    const winner = await first;
    secondCall.release();

    expect(await second).toEqual(winner);
    expect(winner).toMatchObject({ accessToken: "access-1", refreshToken: "refresh-1" });
    expect(upstream.calls.map((call) => call.refreshToken)).toEqual(["session-root", "session-root"]);
  });
});
