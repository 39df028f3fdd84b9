import { describe, expect, it } from "vitest";
import { unsignedJwt } from "../../../support/unsigned-jwt.js";
import { memoryBackend, outcome, raceConfig, redisBackend } from "./race-support.js";

/**
 * Only replayable grants (JWT bearer, token exchange) are ever answered from the response cache.
 * A refresh token or an authorization code presented again is never handed its first answer
 * back: with the grace window off, AWS (or the gateway's reuse detection) decides, and says
 * INVALID_GRANT. (The exchanger's cachedAnswer relies on the fingerprint covering the grant type.)
 * A JWT-bearer exchange repeated is the control: the same setup does answer it from the cache.
 */
const backends = [memoryBackend(), await redisBackend("single-use-never-cached.test.ts")];
const REDIRECT_URI = "https://app.example/callback";

describe.each(backends)("single-use grants and the response cache ($name)", (backend) => {
  it.skipIf(!backend.available)("answers a repeated JWT-bearer exchange from the cache (at once, as a value) with no second call to AWS", async () => {
    const { upstream, one } = backend.start(raceConfig({ REFRESH_GRACE_SECONDS: "0" }));
    const assertion = unsignedJwt({ sub: "cache-control" });
    const first = await one.service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    const again = one.service.forRequest().createToken({ grantType: "JWT_BEARER", assertion });
    expect(again).toEqual(first);
    expect(upstream.calls).toHaveLength(1);
  });

  it.skipIf(!backend.available)("never answers a refresh token or an authorization code presented again from the cache: the second presentation gets INVALID_GRANT", async () => {
    const { upstream, one } = backend.start(raceConfig({ REFRESH_GRACE_SECONDS: "0" }));
    const code = { grantType: "AUTHORIZATION_CODE" as const, code: "code-once", redirectUri: REDIRECT_URI };
    expect(await one.service.forRequest().refresh({ refreshToken: "session-root" })).toMatchObject({ accessToken: "access-1" });
    expect(await one.service.forRequest().createToken(code)).toMatchObject({ accessToken: "access-2" });

    expect(await outcome(one.service.forRequest().refresh({ refreshToken: "session-root" }))).toBe("INVALID_GRANT");
    expect(await outcome(one.service.forRequest().createToken(code))).toBe("INVALID_GRANT");
    expect(upstream.calls.map((call) => call.refreshToken ?? call.code)).toEqual(["session-root", "code-once", "code-once"]);
  });
});
