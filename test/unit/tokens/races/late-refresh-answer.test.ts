import { describe, expect, it } from "vitest";
import { drainMicrotasks, memoryBackend, outcome, raceConfig, redisBackend, type Replica } from "./race-support.js";

/**
 * Safeguard (token-exchanger.ts + single-use-deadline.ts): a refresh whose AWS call outlives
 * UPSTREAM_DEADLINE_MS answers its caller UPSTREAM_UNAVAILABLE while the call goes on; the late
 * answer is kept as the presented token's grace successor, and no retry presents the token to AWS
 * while that call is unresolved (a retry joins it). Forced: the call is held at AWS until the
 * caller has been answered and a retry is waiting; then AWS answers.
 */
const backends = [memoryBackend(), await redisBackend("late-refresh-answer.test.ts")];

/**
 * Resolves once the retry on `retrying` has gone as far as it goes while the first call is held:
 * on Redis, its flight found the lock taken (it follows); in one process, its grace lookup
 * returned and every step after it (memory-store operations, no I/O) has run.
 */
function retryIsWaiting(retrying: Replica): Promise<unknown> {
  return retrying.store.kind === "redis"
    ? retrying.store.next("setIfAbsent", "sf-lock")
    : retrying.store.next("get", "refresh-successor").then(drainMicrotasks);
}

describe.each(backends)("the late answer of a refresh that passed its deadline ($name)", (backend) => {
  it.skipIf(!backend.available)("gives the caller's retries the refresh's late answer after UPSTREAM_UNAVAILABLE, with one call to AWS and the token never presented twice", async () => {
    const { upstream, one, two } = backend.start(raceConfig({ UPSTREAM_DEADLINE_MS: "100" }));

    const slowCall = upstream.holdNext();
    const first = one.service.forRequest().refresh({ refreshToken: "session-root" });
    await slowCall.arrived;
    expect(await outcome(first)).toBe("UPSTREAM_UNAVAILABLE");

    const waiting = retryIsWaiting(two);
    const retryDuringCall = two.service.forRequest().refresh({ refreshToken: "session-root" });
    await Promise.race([waiting, upstream.arrival(2)]);
    expect(upstream.calls).toHaveLength(1);
    // A witness: another session's refresh, held at AWS and started after the retry with the same
    // deadline, is answered UPSTREAM_UNAVAILABLE only once the retry's own deadline has passed
    // (timers of one duration fire in the order they were set). The retry keeps waiting for the call it joined.
    const witnessCall = upstream.holdNext();
    expect(await outcome(two.service.forRequest().refresh({ refreshToken: "another-session" }))).toBe("UPSTREAM_UNAVAILABLE");
    slowCall.release();

    const answer = await retryDuringCall;
    expect(answer).toMatchObject({ accessToken: "access-1", refreshToken: "refresh-1" });
    expect(await one.service.forRequest().refresh({ refreshToken: "session-root" })).toEqual(answer);
    expect(upstream.calls.map((call) => call.refreshToken)).toEqual(["session-root", "another-session"]);
    witnessCall.release();
  });
});
