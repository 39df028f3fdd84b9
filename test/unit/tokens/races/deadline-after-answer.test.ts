import { describe, expect, it } from "vitest";
import { outcome, raceConfig, redisBackend, type Replica } from "./race-support.js";

/**
 * Safeguard (single-use-deadline.ts, token-exchanger.ts): UPSTREAM_DEADLINE_MS answers the caller of
 * a single-use grant while its call *to AWS* is slow; the flight kept a late answer only when it
 * saw, right after AWS answered, that its caller had already been answered. A deadline passing after
 * that look (while the flight hands its answer to followers and releases its lock: one Redis round
 * trip, longer when Redis is slow) answered the caller UPSTREAM_UNAVAILABLE and kept nothing: the
 * code (or refresh token) was spent at AWS, and the caller's retry met INVALID_GRANT (a review, with
 * Redis slow at that moment). Forced: the flight's hand-off is held on Redis until the deadline has
 * passed. Redis only: in one process the flight has no store steps after AWS answers.
 */
const redis = await redisBackend("deadline-after-answer.test.ts");
const REDIRECT_URI = "https://app.example/callback";

/**
 * Resolves once a deadline timer set now has fired, so every one set before it has too (timers of
 * one duration fire in the order they were set): a witness exchange held at AWS is answered
 * UPSTREAM_UNAVAILABLE at its deadline. Returns the held call, for release at the end.
 */
async function deadlinesBeforeNowPassed(replica: Replica, upstream: { holdNext(): { release(): void } }): Promise<{ release(): void }> {
  const witnessCall = upstream.holdNext();
  expect(await outcome(replica.service.forRequest().refresh({ refreshToken: "witness" }))).toBe("UPSTREAM_UNAVAILABLE");
  return witnessCall;
}

describe.skipIf(!redis.available)(`a deadline passing after AWS answered a single-use grant (${redis.name})`, () => {
  it("gets an authorization code's answer to its caller, or to the caller's retry, when the deadline passes during the flight's hand-off: one call to AWS, never INVALID_GRANT", async () => {
    const { upstream, one, two } = redis.start(raceConfig({ UPSTREAM_DEADLINE_MS: "100" }));
    const code = { grantType: "AUTHORIZATION_CODE" as const, code: "code-slow-redis", redirectUri: REDIRECT_URI, codeVerifier: "v".repeat(43) };

    const handOff = one.store.hold("set", "sf-result");
    const first = outcome(one.service.forRequest().createToken(code));
    await handOff.reached;
    // AWS has answered; the flight's hand-off is on a slow Redis while the caller's deadline passes.
    const witness = await deadlinesBeforeNowPassed(one, upstream);
    handOff.release();

    const answered = await first;
    const retried = answered === "ok" ? "not needed" : await outcome(two.service.forRequest().createToken(code));
    expect([answered, retried]).toContain("ok");
    expect(upstream.calls.map((call) => call.code ?? call.refreshToken)).toEqual(["code-slow-redis", "witness"]);
    witness.release();
  });

  it("gets a refresh's answer to its caller, or to the caller's retry past the grace window, when the deadline passes during the flight's hand-off", async () => {
    const { upstream, one, two } = redis.start(raceConfig({ UPSTREAM_DEADLINE_MS: "100", REFRESH_GRACE_SECONDS: "0" }));

    const handOff = one.store.hold("set", "sf-result");
    const first = outcome(one.service.forRequest().refresh({ refreshToken: "root-slow-redis" }));
    await handOff.reached;
    const witness = await deadlinesBeforeNowPassed(one, upstream);
    handOff.release();

    const answered = await first;
    const retried = answered === "ok" ? "not needed" : await outcome(two.service.forRequest().refresh({ refreshToken: "root-slow-redis" }));
    expect([answered, retried]).toContain("ok");
    expect(upstream.calls.map((call) => call.refreshToken)).toEqual(["root-slow-redis", "witness"]);
    witness.release();
  });
});
