import { describe, expect, it } from "vitest";
import { unsignedJwt } from "../../../support/unsigned-jwt.js";
import { redisBackend } from "./race-support.js";

/**
 * Safeguard (token-exchanger.ts, replayable grants): "Another replica may have finished this
 * exchange between our lookup and our lock" — the leader looks the cache up again once it holds
 * the flight's lock. Forced: replica 1's cache lookup reads a miss and is held there; replica 2
 * runs the whole exchange and releases its lock; then replica 1 goes on and takes the lock.
 *
 * Redis only: on the memory store the cache lookup is process-local and synchronous underneath
 * (no store I/O to hold), and the in-process flight joins identical exchanges, so this window
 * does not exist there.
 */
const redis = await redisBackend("cache-recheck.test.ts");

describe.skipIf(!redis.available)(`the cache re-check inside a flight (${redis.name})`, () => {
  it("answers a replica whose cache lookup missed just before another replica finished the same JWT-bearer exchange from the cache, with one call to AWS", async () => {
    const { upstream, one, two } = redis.start();
    const assertion = unsignedJwt({ sub: "cache-recheck" });

    const lookup = one.store.hold<Buffer | null>("get", "token-cache");
    const late = one.service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect((await lookup.reached).result).toBeNull();
    const winner = await two.service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    lookup.release();

    expect(await late).toEqual(winner);
    expect(winner).toMatchObject({ accessToken: "access-1", refreshToken: "refresh-1" });
    expect(upstream.calls).toHaveLength(1);
  });
});
