import { describe, expect, it } from "vitest";
import { unsignedJwt } from "../../../support/unsigned-jwt.js";
import { outcome, raceConfig, redisBackend } from "./race-support.js";

/**
 * Safeguard (single-flight.ts): a follower whose leader is gone — its lock expired and no result
 * was left — takes the lock and calls AWS itself, instead of waiting out SINGLE_FLIGHT_WAIT_MS and
 * answering UPSTREAM_UNAVAILABLE. Forced: replica 1 leads and its call is held at AWS; replica 2
 * follows (finds the lock taken); replica 1's process dies (no heartbeat, no result, no release)
 * and its lock expires (deleted through the store, as Redis does at the TTL: no clock involved).
 *
 * Redis only: in one process there is no lock to outlive its leader.
 */
const redis = await redisBackend("lock-take-over.test.ts");

describe.skipIf(!redis.available)(`lock take-over after a leader died (${redis.name})`, () => {
  it("answers the caller following a replica that died mid-exchange with its own call to AWS once the dead leader's lock expired", async () => {
    const { upstream, one, two } = redis.start(raceConfig({ SINGLE_FLIGHT_WAIT_MS: "5000" }));
    const assertion = unsignedJwt({ sub: "lock-take-over" });

    const leaderLock = one.store.next<boolean>("setIfAbsent", "sf-lock");
    const dyingCall = upstream.holdNext();
    const abandoned = outcome(one.service.forRequest().createToken({ grantType: "JWT_BEARER", assertion }));
    const { key: lockKey } = await leaderLock;
    await dyingCall.arrived;

    const followerLock = two.store.next<boolean>("setIfAbsent", "sf-lock");
    const answer = two.service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect((await followerLock).result).toBe(false);
    one.store.kill();
    await two.store.delete(lockKey);

    expect(await answer).toMatchObject({ accessToken: "access-1", refreshToken: "refresh-1" });
    expect(upstream.calls.map((call) => call.assertion)).toEqual([assertion, assertion]);
    dyingCall.release();
    await abandoned;
  });
});
